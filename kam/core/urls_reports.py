"""/reports/<report>.<pdf|xlsx|csv>: the main reports as documents (kam/core/reports_pdf.py), and the
lists that had no Excel or CSV door of their own (collection worklist, payments, invoices as CSV,
punctuality, audit log)."""

from django.urls import re_path

from . import reports_pdf

app_name = "reports"
REPORTS = {
    "key-accounts": "key_accounts",
    "concentration": "concentration",
    "aging": "aging",
    "plans": "plans",
    "collection": "collection",
    "payments": "payments",
    "invoices": "invoices",
    "punctuality": "punctuality",
    "audit": "audit",
}
urlpatterns = [
    re_path(rf"^{slug}\.(?P<fmt>pdf|xlsx|csv)$", reports_pdf.export, {"report": slug}, name=name)
    for slug, name in REPORTS.items()
]
