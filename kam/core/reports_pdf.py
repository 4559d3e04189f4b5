"""PDF, Excel and CSV doors of the main reports: key accounts, concentration, receivables aging, plans.

The data comes from kam/core/reports.py (permissions and filters as on the pages); every file taken
is written to the audit log. PDFs are laid out by WeasyPrint with DejaVu Sans (Cyrillic, offline).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from kam.access.models import User
from kam.core import audit, reports
from kam.core.exports import csv_response, xlsx_response
from kam.core.money import format_number, format_percent

FORMATS = ("pdf", "xlsx", "csv")


def cell(value: Any, kind: str) -> str:
    """One value as the PDF shows it, in the user's locale."""
    if value is None or value == "":
        return "—" if kind in ("money", "share") else ""
    if kind == "money":
        return format_number(value, 0)
    if kind == "share":
        return format_percent(value, 1)
    if kind == "int":
        return format_number(value, 0)
    if kind == "bool":
        return "✓" if value else ""
    if kind == "date" and isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def render_pdf(report: reports.Report, request: HttpRequest) -> bytes:
    from weasyprint import HTML

    user: User = request.user  # type: ignore[assignment]
    shown = report.rows[: reports.PDF_ROWS]
    kinds = report.kinds or ["text"] * len(report.headers)
    numeric = [k in ("money", "share", "int") for k in kinds]
    # the cell class: right-aligned figures, names kept on one line, long text wrapped
    classes = [
        "num" if n else ("wrap" if k == "long" else "nowrap") for k, n in zip(kinds, numeric, strict=False)
    ]
    context: dict[str, Any] = {
        "report": report,
        "rows": shown,
        "cells": [[(cell(v, k), c) for v, k, c in zip(row, kinds, classes, strict=False)] for row in shown],
        "head": list(zip(report.headers, ["num" if n else "" for n in numeric], strict=False)),
        "foot": [(cell(v, k), c) for v, k, c in zip(report.totals, kinds, classes, strict=False)]
        if report.totals
        else None,
        "cut": len(report.rows) - len(shown),
        "generated": timezone.localtime(),
        "user": user,
        **report.context,
    }
    html = render_to_string(report.template, context, request=request)
    return bytes(HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf())


@login_required
def export(request: HttpRequest, report: str, fmt: str) -> HttpResponse:
    builder = reports.BUILDERS.get(report)
    if builder is None or fmt not in FORMATS:
        raise Http404("No such report")
    user: User = request.user  # type: ignore[assignment]
    data = builder(user, request.GET)  # raises PermissionDenied / Http404 before anything is written
    audit.record_export(
        user,
        data.model,
        what=data.what,
        rows=len(data.rows) if fmt != "pdf" else min(len(data.rows), reports.PDF_ROWS),
        fmt=fmt,
        filters=data.filters,
        request=request,
    )
    if fmt == "pdf":
        response = HttpResponse(render_pdf(data, request), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{data.filename}.pdf"'
        return response
    rows = [*data.rows, *([data.totals] if data.totals else [])]
    if fmt == "csv":
        return csv_response(data.filename, data.headers, rows)
    return xlsx_response(data.filename, data.headers, rows, sheet=data.title)
