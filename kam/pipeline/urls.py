from django.urls import path

from . import views

app_name = "pipeline"
urlpatterns = [
    path("", views.board, name="board"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast/export/", views.forecast_export, name="forecast_export"),
    path("export/", views.export, name="export"),
    path("groups/", views.groups, name="groups"),
    path("new/<int:client_id>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/close/", views.close, name="close"),
    path("clients/<int:client_id>/links/add/", views.link_add, name="link_add"),
    path("clients/<int:client_id>/links/<int:link_id>/delete/", views.link_delete, name="link_delete"),
]
