from django.urls import path

app_name = "api_keys"
urlpatterns: list = []
