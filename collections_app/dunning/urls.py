from django.urls import path

from collections_app.assignment import views as assignment_views
from collections_app.dunning import policy_views, views
from collections_app.strategies import views as strategy_views

app_name = "collections"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("worklist/refresh/", views.worklist_refresh, name="worklist_refresh"),
    path("customers/<id:customer_id>/", views.customer_collections, name="customer"),
    path(
        "customers/<id:customer_id>/statement.pdf",
        views.customer_statement,
        name="customer_statement",
    ),
    path("customers/<id:customer_id>/dispute/", views.customer_dispute, name="customer_dispute"),
    path("runs/", views.runs, name="runs"),
    path("runs/preview/", views.run_preview, name="run_preview"),
    path("runs/<id:run_id>/", views.run_detail, name="run_detail"),
    path("letters/<id:letter_id>/", views.letter_detail, name="letter_detail"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", policy_views.policy_create, name="policy_create"),
    path("policies/<id:policy_id>/", views.policy_detail, name="policy_detail"),
    path("policies/<id:policy_id>/edit/", policy_views.policy_edit, name="policy_edit"),
    path("policies/<id:policy_id>/levels/new/", policy_views.level_add, name="policy_level_add"),
    path(
        "policies/<id:policy_id>/levels/<int:number>/",
        policy_views.level_edit,
        name="policy_level_edit",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/delete/",
        policy_views.level_delete,
        name="policy_level_delete",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/templates/new/",
        policy_views.template_edit,
        name="policy_template_add",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/templates/<slug:language>/",
        policy_views.template_edit,
        name="policy_template_edit",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/templates/<slug:language>/delete/",
        policy_views.template_delete,
        name="policy_template_delete",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/preview/",
        policy_views.letter_preview,
        name="policy_letter_preview",
    ),
    path(
        "policies/<id:policy_id>/levels/<int:number>/preview.pdf",
        policy_views.letter_preview,
        {"as_pdf": True},
        name="policy_letter_preview_pdf",
    ),
    path("templates/<id:template_id>/preview/", views.template_preview, name="template_preview"),
    path("tasks/<id:task_id>/", strategy_views.task_action, name="task_action"),
    path("strategies/", strategy_views.strategies, name="strategies"),
    path("assignment/", assignment_views.assignment, name="assignment"),
]
