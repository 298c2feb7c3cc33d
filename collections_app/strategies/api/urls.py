"""Mounted at /api/v1/ through collections_app.api.urls."""

from django.urls import path

from collections_app.strategies.api import views

urlpatterns = [
    path("worklist/tasks/", views.TaskListApi.as_view(), name="api-task-list"),
    path("worklist/tasks/<id:task_id>/", views.TaskDetailApi.as_view(), name="api-task-detail"),
    path("worklist/tasks/<id:task_id>/done/", views.TaskDoneApi.as_view(), name="api-task-done"),
    path(
        "worklist/tasks/<id:task_id>/snooze/",
        views.TaskSnoozeApi.as_view(),
        name="api-task-snooze",
    ),
    path(
        "worklist/tasks/<id:task_id>/reassign/",
        views.TaskReassignApi.as_view(),
        name="api-task-reassign",
    ),
]
