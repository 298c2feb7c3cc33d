from django.urls import path

from otc.api import web_views

app_name = "api_keys"
urlpatterns = [
    path("", web_views.api_key_list_view, name="list"),
    path("new/", web_views.api_key_create_view, name="create"),
    path("<id:api_key_id>/created/", web_views.api_key_created_view, name="created"),
    path("<id:api_key_id>/revoke/", web_views.api_key_revoke_view, name="revoke"),
]
