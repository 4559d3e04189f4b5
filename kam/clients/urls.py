from django.urls import path, re_path

from . import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    re_path(r"^export\.(?P<fmt>xlsx|csv)$", views.client_export, name="export"),
    path("<int:client_id>/", views.client_dossier, name="dossier"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/reassign/", views.client_reassign, name="reassign"),
    path("<int:client_id>/<slug:tab>/", views.client_dossier, name="dossier_tab"),
]
