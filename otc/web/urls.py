from django.urls import path

from otc.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/<str:role>/", views.dashboard, name="dashboard"),
    path("branding/logo/", views.tenant_logo, name="tenant_logo"),
    path("settings/", views.tenant_settings, name="tenant_settings"),
    path("settings/members/add/", views.member_add_view, name="member_add"),
    path("settings/members/<int:membership_id>/", views.member_edit, name="member_edit"),
]
