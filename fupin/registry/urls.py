from django.urls import path

from . import consent_views, form_views, import_views, reveal_views, views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export/", import_views.household_export, name="household_export"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/template/", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/errors/", import_views.import_errors, name="import_errors"),
    path("new/", views.household_create, name="household_create"),
    path("id-check/", views.id_check, name="id_check"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/form.pdf", form_views.household_form_pdf, name="household_form_pdf"),
    path("<int:pk>/reveal/", reveal_views.household_reveal, name="household_reveal"),
    path("<int:pk>/consents/new/", consent_views.consent_record, name="consent_record"),
    path(
        "<int:pk>/consents/<int:consent_pk>/withdraw/",
        consent_views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:pk>/consents/<int:consent_pk>/file/", consent_views.consent_file, name="consent_file"),
    path("<int:pk>/history/", views.household_history, name="household_history"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/members/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/incomes/", views.income_record, name="income_record"),
    path("<int:pk>/guarantees/", views.guarantees_record, name="guarantees_record"),
]
