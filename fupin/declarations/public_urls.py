"""The household's pages under /declare/ (no account)."""

from django.urls import path

from . import public

app_name = "declare"
urlpatterns = [
    path("", public.declare, name="start"),
    path("v/<str:token>/", public.declare, name="village"),
    path("done/", public.done, name="done"),
    path("status/", public.status, name="status"),
]
