from django.urls import path

from . import views, work_views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("work/", work_views.work_page, name="work"),
    path("work/<str:kind>/<int:pk>/<str:action>/", work_views.work_action, name="work_action"),
]
