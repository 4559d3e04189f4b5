"""The main reports as data, once, for their PDF, Excel and CSV doors (kam/core/reports_pdf.py).

Each builder checks the permission of the page it mirrors, reads the same filters from the query
string as that page, and asks the owning app's selectors: no business rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import Role, User
from kam.core.money import format_money, format_number, format_percent, from_kopecks

PDF_ROWS = 500  # a PDF is for reading; the full list goes to Excel
EXPORT_LIMIT = 100_000


@dataclass
class Report:
    """One report, ready for any format: a title, what was chosen, a table, and figures around it."""

    slug: str
    title: str
    model: type[models.Model]  # what the audit entry points at
    what: str  # the audit entry's name of the export
    filters: dict[str, Any]
    headers: list[str]
    rows: list[list[Any]]
    criteria: list[tuple[str, str]] = field(default_factory=list)  # shown under the PDF title
    template: str = "core/pdf/table.html"
    context: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)  # per column: text, int, money, share, date, bool
    landscape: bool = False
    totals: list[Any] | None = None
    filename: str = ""
    empty: str = ""


def _require(user: User, perm: str) -> None:
    if not policy.can(user, perm):
        raise PermissionDenied


def _date(params: QueryDict, name: str, default: date) -> date:
    try:
        return date.fromisoformat(params.get(name, "").strip())
    except ValueError:
        return default


# --------------------------------------------------------------------------- key accounts


def _snapshot(params: QueryDict) -> Any:
    from kam.analytics import selectors
    from kam.analytics.models import Snapshot, SnapshotStatus

    raw = params.get("snapshot", "")
    if raw.isdigit():
        snapshot = Snapshot.objects.filter(pk=int(raw), status=SnapshotStatus.DONE).first()
        if snapshot is None:
            raise Http404("No such analysis run")
        return snapshot
    snapshot = selectors.latest_snapshot()
    if snapshot is None:
        raise Http404("No analysis has been run yet")
    return snapshot


def _period_text(snapshot: Any) -> str:
    return f"{snapshot.period_start:%m.%Y} – {snapshot.period_end:%m.%Y}"


def key_accounts(user: User, params: QueryDict) -> Report:
    from kam.analytics import selectors
    from kam.analytics.models import SnapshotClient

    _require(user, "analytics.view_report")
    snapshot = _snapshot(params)
    flt = selectors.ReportFilter.from_params({k: params.get(k, "") for k in params})
    company = flt.level == "company"
    headers = key_account_headers()
    found = (
        selectors.company_rows(user, snapshot, flt) if company else selectors.scope_rows(user, snapshot, flt)
    )
    rows = [key_account_cells(r, company=company) for r in found[:EXPORT_LIMIT]]
    scopes = dict(selectors.scopes_for(user).get(flt.level, []))
    scope = "" if company else scopes.get(flt.scope_id or 0, "")
    levels = {"company": _("company"), "department": _("department"), "manager": _("manager")}
    criteria = [
        (_("Analysis period"), _period_text(snapshot)),
        (_("Computed"), f"{timezone.localtime(snapshot.created_at):%d.%m.%Y %H:%M}"),
        (_("Level"), levels[flt.level]),
    ]
    if scope:
        criteria.append((_("Department or manager"), scope))
    criteria.append((_("Clients"), _("key clients only") if flt.only_key else _("all clients with sales")))
    if flt.abc:
        criteria.append(("ABC", flt.abc))
    if flt.xyz:
        criteria.append(("XYZ", flt.xyz))
    if flt.search:
        criteria.append((_("Search"), flt.search))
    return Report(
        slug="key-accounts",
        title=_("Key accounts"),
        model=SnapshotClient,
        what="key accounts",
        filters=params.dict(),
        headers=headers,
        rows=rows,
        criteria=criteria,
        template="core/pdf/key_accounts.html",
        context={"snapshot": snapshot, "company": company},
        kinds=[*CLIENT_KINDS, "share", "text", "text", "bool", "bool", "bool", "long"],
        landscape=True,
        filename=f"key-accounts-{snapshot.period_end:%Y-%m}",
        empty=_("No key clients here for this run and these filters."),
    )


CLIENT_KINDS = ["int", "text", "text", "text", "money", "money", "share"]


def key_account_headers() -> list[str]:
    """The columns of a key-accounts export (the report here and the analytics page's Excel file)."""
    return [
        _("Rank"),
        _("Client"),
        _("INN"),
        _("KAM"),
        _("Turnover, RUB"),
        _("Income, RUB"),
        _("Share"),
        _("Cumulative share"),
        _("ABC"),
        _("XYZ"),
        _("Key"),
        _("Critical dependence"),
        _("Mono-client"),
        _("Why key"),
    ]


def key_account_cells(r: Any, *, company: bool) -> list[Any]:
    """One client's row under :func:`key_account_headers`: a company-level row has the ABC/XYZ columns
    and the reasons, a department's or a manager's leaves them empty."""
    from kam.analytics.templatetags.keyness import reason_text

    if company:
        return [
            *_client_cells(r),
            r.cumulative_share,
            r.abc,
            r.xyz,
            r.is_key_any,
            r.is_critical,
            r.is_mono,
            "; ".join(reason_text(x) for x in r.reasons),
        ]
    return [*_client_cells(r), None, "", "", r.is_key, r.is_critical, r.is_mono, ""]


def _client_cells(r: Any) -> list[Any]:
    """Rank, client, INN, KAM, turnover, income, share: the same at every level of the report."""
    return [
        r.rank,
        r.client.short_name,
        r.client.tax_number,
        str(r.client.owner),
        from_kopecks(r.turnover),
        from_kopecks(r.income),
        r.share,
    ]


# --------------------------------------------------------------------------- concentration


def concentration(user: User, params: QueryDict) -> Report:
    from kam.analytics import selectors
    from kam.analytics.charts import curve_chart
    from kam.analytics.models import SnapshotClient

    _require(user, "analytics.view_concentration")
    snapshot = _snapshot(params)
    c = snapshot.concentration or {}
    share = c.get("pareto_clients_share")
    chart = curve_chart(
        c.get("lorenz_curve", []),
        c.get("pareto_curve", []),
        float(share) if share is not None else None,
        float(c.get("pareto_threshold", "0.8")),
    )
    source = selectors.company_rows(user, snapshot, selectors.ReportFilter(only_key=False))
    rows = [
        [
            r.rank,
            r.client.short_name,
            r.client.tax_number,
            str(r.client.owner),
            from_kopecks(r.basis),
            r.share,
            r.cumulative_share,
            r.abc,
        ]
        for r in source[:EXPORT_LIMIT]
    ]
    figures = [
        (_("Largest client"), format_percent(_dec(c.get("top1_share")))),
        (_("Top 5 clients"), format_percent(_dec(c.get("top5_share")))),
        (_("Top 10 clients"), format_percent(_dec(c.get("top10_share")))),
        ("HHI", _int_text(c.get("hhi"))),
        (_("Gini"), _num_text(c.get("gini"), 3)),
        (
            _("Clients giving %(t)s of the basis")
            % {"t": format_percent(_dec(c.get("pareto_threshold")), 0)},
            f"{c.get('pareto_clients') or '—'} ({format_percent(_dec(share))})",
        ),
    ]
    return Report(
        slug="concentration",
        title=_("Concentration of the client book"),
        model=SnapshotClient,
        what="concentration",
        filters=params.dict(),
        headers=[
            _("Rank"),
            _("Client"),
            _("INN"),
            _("KAM"),
            _("Basis, RUB"),
            _("Share of the basis"),
            _("Cumulative share"),
            _("ABC"),
        ],
        rows=rows,
        criteria=[
            (_("Analysis period"), _period_text(snapshot)),
            (_("Company basis"), format_money(snapshot.total_basis, kopecks=True, digits=0)),
        ],
        template="core/pdf/concentration.html",
        context={
            "snapshot": snapshot,
            "chart": chart,
            "chart_height_mm": round(120 * chart.height / chart.width, 1),
            "figures": figures,
            "c": c,
        },
        kinds=["int", "text", "text", "text", "money", "share", "share", "text"],
        filename=f"concentration-{snapshot.period_end:%Y-%m}",
        empty=_("No clients with sales in this run."),
    )


def _dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _int_text(value: Any) -> str:
    d = _dec(value)
    return "—" if d is None else format_number(d, 0)


def _num_text(value: Any, digits: int) -> str:
    d = _dec(value)
    return "—" if d is None else format_number(d, digits)


# --------------------------------------------------------------------------- receivables aging


def aging(user: User, params: QueryDict) -> Report:
    from kam.receivables import selectors
    from kam.receivables.models import Invoice

    _require(user, "receivables.view_receivables")
    on = _date(params, "on", timezone.localdate())
    by = params.get("by", "client")
    if by not in ("client", "kam", "department"):
        by = "client"
    found = selectors.aging(user, on=on, group_by=by)  # type: ignore[arg-type]
    totals = selectors.aging_totals(found)
    labels = selectors.bucket_labels()
    first = {"client": _("Client"), "kam": _("KAM"), "department": _("Department")}[by]
    headers = [
        first,
        *[labels[b] for b in selectors.BUCKETS],
        _("Overdue"),
        _("Total"),
        _("Invoices"),
        _("Oldest due date"),
    ]
    rows = [[r.label, *r.buckets(), r.overdue, r.total, r.invoices, r.oldest_due_on] for r in found]
    return Report(
        slug="aging",
        title=_("Receivables aging"),
        model=Invoice,
        what="aging",
        filters={"on": str(on), "by": by},
        headers=headers,
        rows=rows,
        criteria=[
            (_("As of"), f"{on:%d.%m.%Y}"),
            (_("Grouped by"), first),
            (_("Amounts"), _("RUB")),
        ],
        kinds=["text", *["money"] * (len(selectors.BUCKETS) + 2), "int", "date"],
        landscape=True,
        totals=[_("Total"), *totals.buckets(), totals.overdue, totals.total, totals.invoices, None],
        filename=f"aging-{by}-{on}",
        empty=_("No open invoices on this date."),
        context={"overdue": totals.overdue, "total": totals.total},
    )


# --------------------------------------------------------------------------- plan fulfilment


def plans(user: User, params: QueryDict) -> Report:
    from kam.planning import selectors
    from kam.planning.models import Plan
    from kam.planning.periods import Period

    _require(user, "planning.view_plans")
    kind = params.get("kind", "month")
    if kind not in ("month", "quarter", "year"):
        kind = "month"
    today = timezone.localdate()
    raw = params.get("period", "")
    try:
        period = Period.parse(raw) if raw else Period.containing(kind, today)
    except ValueError:
        raise Http404("Bad period") from None
    kam_rows = selectors.kam_rows(user, period, today)
    departments = selectors.department_rows(user, period, kam_rows, today)
    headers = [
        _("Level"),
        _("Name"),
        _("Department"),
        _("Rank"),
        _("Sales plan, RUB"),
        _("Actual, RUB"),
        _("Fulfilment"),
        _("Forecast, RUB"),
        _("Forecast fulfilment"),
        _("Active clients"),
        _("Active clients plan"),
        _("New clients"),
        _("New clients plan"),
    ]
    rows: list[list[Any]] = []
    for d in departments:
        rows.append(_plan_row(_("department"), d, "", None))
    for r in kam_rows:
        department = str(r.kam.department) if r.kam and r.kam.department else ""
        rows.append(_plan_row(_("KAM"), r, department, r.rank))
    day = min(max((today - period.start).days + 1, 0), period.days)
    return Report(
        slug="plans",
        title=_("Plan fulfilment"),
        model=Plan,
        what="plan fulfilment",
        filters={"kind": period.kind, "period": period.slug},
        headers=headers,
        rows=rows,
        criteria=[
            (_("Period"), f"{period.slug}: {period.start:%d.%m.%Y} – {period.last_day:%d.%m.%Y}"),
            (_("Time gone"), format_percent(Decimal(day) / Decimal(period.days), 0)),
        ],
        template="core/pdf/plans.html",
        kinds=[
            "text",
            "text",
            "text",
            "int",
            "money",
            "money",
            "share",
            "money",
            "share",
            "int",
            "int",
            "int",
            "int",
        ],
        landscape=True,
        context={
            "departments": departments,
            "kams": kam_rows,
            "period": period,
            "is_kam": user.role == Role.KAM,
        },
        filename=f"plans-{period.slug}",
        empty=_("No key account managers here."),
    )


def _plan_row(level: str, r: Any, department: str, rank: int | None) -> list[Any]:
    return [
        level,
        r.name,
        department,
        rank,
        r.plan_sales,
        r.actual.sales_volume,
        r.sales_share,
        r.forecast,
        r.forecast_share,
        r.actual.active_clients,
        r.plan_active,
        r.actual.new_clients,
        r.plan_new,
    ]


# --------------------------------------------------------------------------- lists that had no export


def worklist(user: User, params: QueryDict) -> Report:
    from kam.receivables import selectors
    from kam.receivables.models import CollectionAction

    _require(user, "receivables.view_receivables")
    on = _date(params, "on", timezone.localdate())
    found = selectors.collection_worklist(user, on=on)
    rows = [
        [
            r.client,
            r.owner,
            r.open,
            r.overdue,
            r.oldest_due_on,
            r.days_overdue,
            r.last_action_on,
            r.last_action_kind,
            r.promise_to_pay_on,
            r.promise_broken,
        ]
        for r in found
    ]
    return Report(
        slug="collection",
        title=_("Collection worklist"),
        model=CollectionAction,
        what="collection worklist",
        filters={"on": str(on)},
        headers=[
            _("Client"),
            _("KAM"),
            _("Open, RUB"),
            _("Overdue, RUB"),
            _("Oldest due date"),
            _("Days overdue"),
            _("Last action on"),
            _("Last action"),
            _("Promised to pay on"),
            _("Promise broken"),
        ],
        rows=rows,
        criteria=[(_("As of"), f"{on:%d.%m.%Y}")],
        kinds=["text", "text", "money", "money", "date", "int", "date", "text", "date", "bool"],
        landscape=True,
        filename=f"collection-{on}",
        empty=_("No overdue debt."),
    )


def payments(user: User, params: QueryDict) -> Report:
    from kam.receivables import selectors
    from kam.receivables.models import Payment

    _require(user, "receivables.view_receivables")
    rows = [
        [
            p.received_on,
            p.client.short_name,
            p.client.tax_number,
            p.reference,
            p.amount,
            getattr(p, "allocated", None),  # annotated by the selector
            getattr(p, "unallocated", None),
        ]
        for p in selectors.payment_list(user)[:EXPORT_LIMIT]
    ]
    return Report(
        slug="payments",
        title=_("Payments"),
        model=Payment,
        what="payments",
        filters={},
        headers=[
            _("Received on"),
            _("Client"),
            _("INN"),
            _("Reference"),
            _("Amount, RUB"),
            _("Allocated, RUB"),
            _("Unallocated, RUB"),
        ],
        rows=rows,
        kinds=["date", "text", "text", "text", "money", "money", "money"],
        filename="payments",
        empty=_("No payments yet."),
    )


def invoices(user: User, params: QueryDict) -> Report:
    """The invoice list with its page's filters (state, search); Excel also on the receivables page."""
    from kam.receivables import selectors
    from kam.receivables.models import Invoice

    _require(user, "receivables.view_receivables")
    state = params.get("state", "")
    flt = {
        "state": state if state in ("open", "overdue", "paid") else "",
        "search": params.get("q", "").strip()[:100],
    }
    found = selectors.invoice_list(user, on=timezone.localdate(), state=flt["state"], search=flt["search"])[
        :EXPORT_LIMIT
    ]
    rows = [invoice_cells(i) for i in found]
    return Report(
        slug="invoices",
        title=_("Invoices"),
        model=Invoice,
        what="invoices",
        filters=flt,
        headers=invoice_headers(),
        rows=rows,
        kinds=["text", "text", "text", "text", "date", "date", "money", "money", "money", "money", "int"],
        landscape=True,
        filename="invoices",
        empty=_("No invoices here."),
    )


def invoice_headers() -> list[str]:
    """The columns of an invoice export (the report here and the receivables page's Excel file)."""
    return [
        _("Number"),
        _("Client"),
        _("INN"),
        _("KAM"),
        _("Issued on"),
        _("Due on"),
        _("Amount"),
        _("Paid"),
        _("Credited"),
        _("Open"),
        _("Order"),
    ]


def invoice_cells(i: Any) -> list[Any]:
    """One invoice (annotated with its open amount) under :func:`invoice_headers`."""
    return [
        i.number,
        i.client.short_name,
        i.client.tax_number,
        str(i.client.owner),
        i.issued_on,
        i.due_on,
        i.amount,
        i.paid,
        i.credited,
        i.open_amount,
        i.order_id,
    ]


def punctuality(user: User, params: QueryDict) -> Report:
    from datetime import timedelta

    from kam.activities import selectors
    from kam.activities.models import Activity

    _require(user, "activities.view_schedule")
    today = timezone.localdate()
    first = _date(params, "from", today.replace(day=1))
    last = _date(params, "to", today)
    if last < first:
        first, last = last, first
    if (last - first).days > 366:
        first = last - timedelta(days=366)
    found = selectors.punctuality_report(user, first, last)
    rows = [
        [str(r.kam), r.started, r.late, r.late_share, r.average_delay, r.total_delay_minutes] for r in found
    ]
    return Report(
        slug="punctuality",
        title=_("Punctuality"),
        model=Activity,
        what="punctuality",
        filters={"from": str(first), "to": str(last)},
        headers=[
            _("KAM"),
            _("Started"),
            _("Late"),
            _("Late share"),
            _("Average delay, minutes"),
            _("Total delay, minutes"),
        ],
        rows=rows,
        criteria=[(_("Period"), f"{first:%d.%m.%Y} – {last:%d.%m.%Y}")],
        kinds=["text", "int", "int", "share", "int", "int"],
        filename=f"punctuality-{first}-{last}",
        empty=_("No key account managers here."),
    )


def audit_log(user: User, params: QueryDict) -> Report:
    """The audit log with the page's filters (director only); the export itself is logged too."""
    from auditlog.models import LogEntry
    from django.utils.dateparse import parse_date

    from kam.access import selectors

    _require(user, "access.view_audit")

    def day(name: str) -> date | None:
        try:
            return parse_date(params.get(name, "") or "")
        except ValueError:
            return None

    action, actor = params.get("action", ""), params.get("actor", "")
    filters: dict[str, Any] = {
        "actor_id": int(actor) if actor.isdigit() else None,
        "action": int(action) if action.isdigit() else None,
        "kind": params.get("kind", "") if params.get("kind") in ("view", "export") else "",
        "model": params.get("model", "")[:100],
        "since": day("since"),
        "until": day("until"),
        "search": params.get("q", "")[:100],
    }
    actions = dict(LogEntry.Action.choices)
    rows = [
        [
            timezone.localtime(e.timestamp).replace(tzinfo=None),
            str(e.actor) if e.actor else "",
            str(actions.get(e.action, e.action)),
            (e.additional_data or {}).get("kind", "") if isinstance(e.additional_data, dict) else "",
            e.content_type.model if e.content_type else "",
            e.object_repr,
            e.remote_addr or "",
        ]
        for e in selectors.audit_entries(**filters)[:EXPORT_LIMIT]
    ]
    return Report(
        slug="audit",
        title=_("Audit log"),
        model=LogEntry,
        what="audit log",
        filters={k: str(v) for k, v in filters.items() if v not in (None, "")},
        headers=[_("When"), _("Who"), _("Action"), _("Kind"), _("Object type"), _("Object"), _("Address")],
        rows=rows,
        kinds=["text", "text", "text", "text", "text", "long", "text"],
        landscape=True,
        filename="audit-log",
        empty=_("No entries."),
    )


BUILDERS = {
    "key-accounts": key_accounts,
    "concentration": concentration,
    "aging": aging,
    "plans": plans,
    "collection": worklist,
    "payments": payments,
    "invoices": invoices,
    "punctuality": punctuality,
    "audit": audit_log,
}
