"""URLs of the assistance app (精准帮扶), mounted at /assistance/."""

from django.urls import path

from . import bulk_views, views

app_name = "assistance"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.my_households, name="my_households"),
    path("unpaired/", views.unpaired, name="unpaired"),
    path("unpaired/pair/", bulk_views.pair_many, name="pair_many"),
    path("overdue/", views.overdue, name="overdue"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/pair/", views.pair, name="pair"),
    path("households/<int:pk>/end-pairing/", views.end_pairing, name="end_pairing"),
    path("households/<int:pk>/plan/", views.save_plan, name="save_plan"),
    path("households/<int:pk>/measures/", views.add_measure, name="add_measure"),
    path("households/<int:pk>/visits/new/", views.add_visit, name="add_visit"),
    path("households/<int:pk>/handbook.pdf", views.handbook_pdf, name="handbook_pdf"),
    path("households/<int:pk>/handbook-code/renew/", views.renew_handbook_code, name="renew_handbook_code"),
    path("measures/<int:pk>/", views.measure, name="measure"),
    path("photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("helpers/", views.helpers, name="helpers"),
    path("helpers/import/", views.import_helpers, name="import_helpers"),
    path("helpers/template.xlsx", views.helper_template, name="helper_template"),
    path("helpers/<int:pk>/", views.helper, name="helper"),
    path("units/", views.units, name="units"),
    path("settings/", views.county_settings, name="settings"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("monitoring/submit/", views.submit_monitoring, name="submit_monitoring"),
    path("demand/", views.demand, name="demand"),
    path("handbooks/", views.batches, name="batches"),
    path("handbooks/<int:pk>/", views.batch, name="batch"),
    path("handbooks/<int:pk>/download/", views.batch_download, name="batch_download"),
    path("h/<str:token>/", views.public_summary, name="public_summary"),
]
