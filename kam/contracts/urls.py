from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_new, name="new"),
    path("export/", views.contract_export, name="export"),
    path("<int:contract_id>/", views.contract_detail, name="detail"),
    path("<int:contract_id>/edit/", views.contract_edit, name="edit"),
    path("<int:contract_id>/clauses/add/", views.clause_add, name="clause_add"),
    path("clauses/<int:clause_id>/done/", views.clause_done, name="clause_done"),
    path("clauses/<int:clause_id>/delete/", views.clause_delete, name="clause_delete"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/new/", views.claim_new, name="claim_new"),
    path("claims/export/", views.claim_export, name="claim_export"),
    path("claims/<int:claim_id>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<int:claim_id>/resolve/", views.claim_resolve, name="claim_resolve"),
]
