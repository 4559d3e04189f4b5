"""A statement as an Excel sheet's rows and as a PDF (WeasyPrint, DejaVu Sans for Cyrillic)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import selectors


def statement_rows(st: selectors.Statement) -> tuple[list[str], list[list[Any]]]:
    headers = [
        _("Date"),
        _("Client"),
        _("Lines"),
        _("Amount, RUB"),
        _("Margin, RUB"),
        _("Base, RUB"),
        _("Tier from, RUB"),
        _("Rate, %"),
        _("Commission, RUB"),
    ]
    rows: list[list[Any]] = [
        [d.date, d.client_name, d.lines, d.amount, d.margin, d.base, d.tier_from, d.rate, d.commission]
        for d in st.deals
    ]
    rows.append(["", _("Subtotal"), "", "", "", "", "", "", st.subtotal])
    rows.append(["", _("Plan factor") + f" × {st.factor}", "", "", "", "", "", "", st.adjustment])
    rows.append(["", _("Total"), "", "", "", "", "", "", st.total])
    return headers, rows


def statement_pdf(st: selectors.Statement) -> bytes:
    from weasyprint import HTML

    html = render_to_string("planning/statement_pdf.html", {"st": st})
    return bytes(HTML(string=html).write_pdf())
