from django.urls import path

from . import export_views, todo_views, views, work_views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.id_search, name="id_search"),
    path("todo/", todo_views.todo_page, name="todo"),
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/table/<str:name>/", export_views.export_start, name="export_start"),
    path("exports/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/progress/", export_views.export_progress, name="export_progress"),
    path("exports/<int:pk>/file/", export_views.export_download, name="export_download"),
    path("work/", work_views.work_page, name="work"),
    path("work/<str:kind>/<int:pk>/<str:action>/", work_views.work_action, name="work_action"),
]
