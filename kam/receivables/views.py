"""Receivables pages. Thin: parse input, ask policy, call selectors/services, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.core import audit
from kam.core.exports import xlsx_response

from . import selectors
from .models import Invoice


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not policy.can(user, perm, obj):
        raise PermissionDenied


def _date_param(request: HttpRequest, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return default


def _group_by(request: HttpRequest) -> selectors.GroupBy:
    by = request.GET.get("by", "client")
    return by if by in ("client", "kam", "department") else "client"  # type: ignore[return-value]


@login_required
def aging(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, "receivables.view_receivables")
    on = _date_param(request, "on", timezone.localdate())
    by = _group_by(request)
    rows = selectors.aging(user, on=on, group_by=by)
    context = {
        "nav": "receivables",
        "tab": "aging",
        "rows": rows,
        "totals": selectors.aging_totals(rows),
        "on": on,
        "by": by,
        "labels": selectors.bucket_labels(),
        "buckets": selectors.BUCKETS,
    }
    return render(request, "receivables/aging.html", context)


@login_required
def aging_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require(user, "receivables.view_receivables")
    on = _date_param(request, "on", timezone.localdate())
    by = _group_by(request)
    rows = selectors.aging(user, on=on, group_by=by)
    labels = selectors.bucket_labels()
    headers = [
        {"client": _("Client"), "kam": _("KAM"), "department": _("Department")}[by],
        *[labels[b] for b in selectors.BUCKETS],
        _("Overdue"),
        _("Total"),
        _("Invoices"),
        _("Oldest due date"),
    ]
    data = [[r.label, *r.buckets(), r.overdue, r.total, r.invoices, r.oldest_due_on] for r in rows]
    audit.record_export(
        user,
        Invoice,
        what="aging",
        rows=len(data),
        fmt="xlsx",
        filters={"on": str(on), "by": by},
        request=request,
    )
    return xlsx_response(f"aging-{by}-{on}", headers, data, sheet=_("Aging"))
