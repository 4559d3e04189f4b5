"""Excel and CSV answers for list and report exports (openpyxl writes the workbook)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    return value


def xlsx_response(
    filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "kam"
) -> HttpResponse:
    workbook = Workbook(write_only=False)
    ws = workbook.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in headers]
    for row in rows:
        values = [_plain(v) for v in row]
        ws.append(values)
        for i, value in enumerate(values):
            widths[i] = min(60, max(widths[i], len(str(value))))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width + 2
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_plain(v) for v in row])
    return response


def export_format(request: HttpRequest) -> str:
    """The format an export link asks for: ``?fmt=csv`` gives CSV, anything else Excel."""
    return "csv" if request.GET.get("fmt") == "csv" else "xlsx"


def audited_export(
    request: HttpRequest,
    *,
    model: type[models.Model],
    what: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    filename: str | None = None,
    sheet: str | None = None,
    fmt: str | None = None,
    filters: dict[str, Any] | None = None,
) -> HttpResponse:
    """Record the export in the audit log, then answer with the CSV or Excel file.

    ``fmt`` defaults to :func:`export_format`, ``filters`` to the query string, ``filename`` to ``what``
    and ``sheet`` (the Excel sheet's name) to the file name.
    """
    from kam.core import audit

    fmt = fmt or export_format(request)
    audit.record_export(
        request.user,
        model,
        what=what,
        rows=len(rows),
        fmt=fmt,
        filters=dict(request.GET.items()) if filters is None else filters,
        request=request,
    )
    name = filename or what
    if fmt == "csv":
        return csv_response(name, headers, rows)
    return xlsx_response(name, headers, rows, sheet=sheet or name)
