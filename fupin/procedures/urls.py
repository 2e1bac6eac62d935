"""URLs of the procedures app."""

from django.urls import path

from . import township_views, views

app_name = "procedures"
urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("open/", views.batch_open, name="batch_open"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/<slug:action>/", views.batch_action, name="batch_action"),
    path("township/", township_views.township_page, name="township"),
    path("township/<slug:action>/", township_views.township_action, name="township_action"),
    path("quotas/", views.allocations, {"which": "quota"}, name="quotas"),
    path("plans/", views.allocations, {"which": "plan"}, name="plans"),
    path("villages/", views.villages, name="villages"),
    path("villages/<str:code>/", views.village_edit, name="village_edit"),
    path("yearly/", views.yearly_update, name="yearly"),
    path("settings/", views.procedure_settings, name="settings"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
]
