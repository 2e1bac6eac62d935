"""URLs of the assistance app."""
from django.urls import path

app_name = "assistance"
urlpatterns: list = []
