from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("signals/", views.signal_list, name="signal_list"),
    path("signals/<int:household_pk>/dismiss/", views.candidate_dismiss, name="candidate_dismiss"),
    path("sweeps/", views.sweep_start, name="sweep_start"),
    path("sweeps/<int:pk>/", views.sweep_detail, name="sweep_detail"),
    path("households/<int:household_pk>/events/new/", views.risk_event_create, name="risk_event_create"),
    path("households/<int:household_pk>/report/", views.case_create, name="case_create"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/evidence/", views.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/<str:action>/", views.case_action, name="case_action"),
    path("measures/<int:pk>/done/", views.measure_done, name="measure_done"),
    path("lookbacks/", views.lookback_list, name="lookback_list"),
    path("lookbacks/<int:pk>/", views.lookback_detail, name="lookback_detail"),
    path("lookback-items/<int:pk>/", views.lookback_item, name="lookback_item"),
    path("lookback-items/<int:pk>/evidence/", views.lookback_item_evidence, name="lookback_item_evidence"),
    path("checks/", views.check_list, name="check_list"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("checks/<int:pk>/run/", views.check_run, name="check_run"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/new/", views.problem_create, name="problem_create"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/evidence/", views.problem_evidence, name="problem_evidence"),
    path("problems/<int:pk>/<str:action>/", views.problem_action, name="problem_action"),
]
