from django.urls import path

from . import todo_views, views, work_views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", todo_views.todo_page, name="todo"),
    path("work/", work_views.work_page, name="work"),
    path("work/<str:kind>/<int:pk>/<str:action>/", work_views.work_action, name="work_action"),
]
