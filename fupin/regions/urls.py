from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [path("<str:code>/", views.region_detail, name="detail")]
