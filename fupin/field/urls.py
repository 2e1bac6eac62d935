from django.urls import path

from . import views

app_name = "field"

urlpatterns = [
    path("", views.app, name="app"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("devices/", views.devices, name="devices"),
    path("devices/<int:pk>/revoke/", views.revoke, name="revoke"),
]
