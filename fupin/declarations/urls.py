"""Staff pages under /declarations/."""

from django.urls import path

from . import views

app_name = "declarations"
urlpatterns = [
    path("", views.declaration_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("new/", views.intake, name="intake"),
    path("from-signal/<int:pk>/", views.open_signal, name="open_signal"),
    path("from-finding/<int:pk>/", views.open_finding, name="open_finding"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal_identifiers, name="reveal"),
    path("<int:pk>/visit/", views.visit, name="visit"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("posters/<str:code>.pdf", views.posters, name="posters"),
]
