"""URLs of the audit app."""

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("anchors/", views.anchors, name="anchors"),
]
