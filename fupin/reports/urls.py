"""URLs of statistics and assessment (精准考核), mounted at /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("casework/", views.casework, name="casework"),
    path("households/", views.households, name="households"),
    path("tables/", views.standard_tables, name="tables"),
    path("tables/print/", views.standard_tables, {"printable": True}, name="tables_print"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/print/", views.assessment, {"printable": True}, name="assessment_print"),
    path("survey/", views.survey_entry, name="survey"),
]
