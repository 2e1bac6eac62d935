"""URLs of the disclosure app: public, no login."""

from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("archive/", views.archive, name="archive"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/print/", views.notice_print, name="notice_print"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
