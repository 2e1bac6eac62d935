"""URLs of projects, funds and microloans; `public/…` is the disclosure page and needs no login."""

from django.urls import path

from . import loan_views, views

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/progress/", views.project_progress, name="project_progress"),
    path("projects/<int:pk>/accept/", views.project_accept, name="project_accept"),
    path("projects/<int:pk>/publish/", views.project_publish, name="project_publish"),
    path("projects/<int:pk>/beneficiaries/", views.project_beneficiary_add, name="project_beneficiary_add"),
    path(
        "projects/<int:pk>/beneficiaries/<int:beneficiary_pk>/remove/",
        views.project_beneficiary_remove,
        name="project_beneficiary_remove",
    ),
    path("projects/<int:pk>/allocate/", views.project_allocate, name="project_allocate"),
    path("projects/<int:pk>/pay/", views.project_pay, name="project_pay"),
    path("funds/", views.fund_list, name="fund_list"),
    path("funds/<int:pk>/", views.fund_detail, name="fund_detail"),
    path("reconciliation/", views.reconciliation_index, name="reconciliation"),
    path("reconciliation/template.xlsx", views.reconciliation_template, name="reconciliation_template"),
    path("reconciliation/<int:pk>/", views.reconciliation_detail, name="reconciliation_detail"),
    path("reconciliation/<int:pk>/export.xlsx", views.reconciliation_export, name="reconciliation_export"),
    path("loans/", loan_views.loan_list, name="loan_list"),
    path("loans/apply/enterprise/", loan_views.loan_apply_enterprise, name="loan_apply_enterprise"),
    path("loans/apply/<int:household_pk>/", loan_views.loan_apply, name="loan_apply"),
    path("loans/<int:pk>/", loan_views.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/<slug:action>/", loan_views.loan_action, name="loan_action"),
    path("loans/reports/", loan_views.loan_reports, name="loan_reports"),
    path("loans/reports/export.xlsx", loan_views.loan_reports_export, name="loan_reports_export"),
    path("subsidies/", loan_views.subsidy_list, name="subsidy_list"),
    path("subsidies/export.xlsx", loan_views.subsidy_export, name="subsidy_export"),
    path("risk-fund/", loan_views.risk_fund, name="risk_fund"),
    path("policy/", loan_views.policy, name="policy"),
    path("households/<int:pk>/loans/", loan_views.household_loans, name="household_loans"),
    path("public/", views.public_projects, name="public_projects"),
    path("public/projects/<int:pk>/", views.public_project, name="public_project"),
]
