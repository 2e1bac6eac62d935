from django.urls import path

from . import views

app_name = "changes"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.propose, name="propose"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal_identifiers, name="reveal"),
    path("<int:pk>/revise/", views.revise, name="revise"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/return/", views.return_request, name="return"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/evidence/", views.add_evidence, name="add_evidence"),
    path("household/<int:pk>/", views.household_section, name="household_section"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
]
