"""URLs of the procedures app."""
from django.urls import path

app_name = "procedures"
urlpatterns: list = []
