from django.urls import path, re_path

from . import views

app_name = "receivables"
urlpatterns = [
    path("", views.aging, name="aging"),
    path("aging.xlsx", views.aging_export, name="aging_export"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices.xlsx", views.invoice_export, name="invoice_export"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("payments/", views.payment_list, name="payments"),
    path("collection/", views.worklist, name="worklist"),
    path("import/", views.import_file, name="import"),
    path("clients/<int:client_id>/", views.client_receivables, name="client"),
    path("clients/<int:client_id>/payment/", views.payment_record, name="payment_record"),
    path("clients/<int:client_id>/credit-note/", views.credit_note_create, name="credit_note"),
    path("clients/<int:client_id>/actions/add/", views.collection_action_add, name="action_add"),
    path("clients/<int:client_id>/credit-limit/", views.credit_limit_set, name="credit_limit"),
    path("clients/<int:client_id>/statement/", views.statement, name="statement"),
    re_path(
        r"^clients/(?P<client_id>\d+)/statement\.(?P<fmt>pdf|xlsx)$",
        views.statement_export,
        name="statement_export",
    ),
]
