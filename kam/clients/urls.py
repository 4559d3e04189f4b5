from django.urls import path, re_path

from . import picker, views, views_dossier

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("pick/", picker.pick, name="pick"),
    re_path(r"^export\.(?P<fmt>xlsx|csv)$", views.client_export, name="export"),
    path("<int:client_id>/", views.client_dossier, name="dossier"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/reassign/", views.client_reassign, name="reassign"),
    # Changes made on the dossier tabs (views_dossier): every write is a POST.
    path("<int:client_id>/financials/add/", views_dossier.financial_add, name="financial_add"),
    path(
        "<int:client_id>/financials/<int:indicator_id>/edit/",
        views_dossier.financial_edit,
        name="financial_edit",
    ),
    path(
        "<int:client_id>/financials/<int:indicator_id>/delete/",
        views_dossier.financial_delete,
        name="financial_delete",
    ),
    path("<int:client_id>/needs/edit/", views_dossier.needs_edit, name="needs_edit"),
    path("<int:client_id>/stakeholders/add/", views_dossier.stakeholder_add, name="stakeholder_add"),
    path(
        "<int:client_id>/stakeholders/<int:stakeholder_id>/edit/",
        views_dossier.stakeholder_edit,
        name="stakeholder_edit",
    ),
    path(
        "<int:client_id>/stakeholders/<int:stakeholder_id>/delete/",
        views_dossier.stakeholder_delete,
        name="stakeholder_delete",
    ),
    path("<int:client_id>/map/add/", views_dossier.relationship_add, name="relationship_add"),
    path(
        "<int:client_id>/map/<int:relationship_id>/delete/",
        views_dossier.relationship_delete,
        name="relationship_delete",
    ),
    path("<int:client_id>/competitors/add/", views_dossier.competitor_add, name="competitor_add"),
    path(
        "<int:client_id>/competitors/<int:presence_id>/edit/",
        views_dossier.competitor_edit,
        name="competitor_edit",
    ),
    path(
        "<int:client_id>/competitors/<int:presence_id>/delete/",
        views_dossier.competitor_delete,
        name="competitor_delete",
    ),
    path("<int:client_id>/team/add/", views_dossier.team_add, name="team_add"),
    path("<int:client_id>/team/<int:user_id>/remove/", views_dossier.team_remove, name="team_remove"),
    path("<int:client_id>/<slug:tab>/", views.client_dossier, name="dossier_tab"),
]
