"""/reports/<report>.<pdf|xlsx|csv>: the main reports as documents (kam/core/reports_pdf.py)."""

from django.urls import re_path

from . import reports_pdf

app_name = "reports"
urlpatterns = [
    re_path(
        r"^key-accounts\.(?P<fmt>pdf|xlsx|csv)$",
        reports_pdf.export,
        {"report": "key-accounts"},
        name="key_accounts",
    ),
    re_path(
        r"^concentration\.(?P<fmt>pdf|xlsx|csv)$",
        reports_pdf.export,
        {"report": "concentration"},
        name="concentration",
    ),
    re_path(r"^aging\.(?P<fmt>pdf|xlsx|csv)$", reports_pdf.export, {"report": "aging"}, name="aging"),
    re_path(r"^plans\.(?P<fmt>pdf|xlsx|csv)$", reports_pdf.export, {"report": "plans"}, name="plans"),
]
