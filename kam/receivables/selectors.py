"""Reads of receivables.

Per-client figures (`open_receivables`, `overdue_debt`, `credit_score`, `client_advance`) take a client id
the caller has already been allowed to see (e.g. through policy.get_client_for_user); they are also used
by orders' credit control. Everything that lists several clients takes the user and filters through
kam.access.policy.visible_clients.

Definitions (as of a date `on`; a payment counts from its received_on, a credit note from its issued_on,
an invoice from its issued_on):
* open amount of an invoice = max(0, amount − Σ allocations − Σ credit notes against it);
* days overdue = on − due_on; overdue when days overdue > tolerance (0: the day after the due date);
* aging buckets: current (not yet due, days ≤ 0), 1–30, 31–60, 61–90, over 90 days overdue;
* a client's advance = payments not allocated to any invoice + credit notes not against an invoice.
  Open and overdue figures and aging are per invoice and do not net the advance off (conservative for
  credit control); the reconciliation statement shows the net balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy

from .models import CollectionAction, CreditNote, Invoice, Payment, PaymentAllocation

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
BUCKETS: tuple[str, ...] = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
GroupBy = Literal["client", "kam", "department"]


def bucket_labels() -> dict[str, str]:
    return {
        "current": _("Current"),
        "d1_30": _("1–30 days"),
        "d31_60": _("31–60 days"),
        "d61_90": _("61–90 days"),
        "d90_plus": _("Over 90 days"),
    }


def receivable_clients(user: Any) -> QuerySet[Any]:
    """Clients whose receivables `user` may see: visible_clients, and only for roles that see receivables."""
    from kam.clients.models import Client

    if not policy.can(user, "receivables.view_receivables"):
        return Client.objects.none()
    return policy.visible_clients(user)


def _zero() -> Value:
    return Value(ZERO, output_field=MONEY)


def _sum_subquery(qs: QuerySet[Any], fk: str) -> Coalesce:
    """Σ amount of `qs` rows pointing at the outer invoice, as a correlated subquery (0 when none)."""
    summed = (
        qs.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(total=Sum("amount")).values("total")
    )
    return Coalesce(Subquery(summed, output_field=MONEY), _zero(), output_field=MONEY)


def with_open_amount(invoices: QuerySet[Invoice], *, on: date | None = None) -> QuerySet[Any]:
    # QuerySet[Any]: django-stubs cannot follow the annotations into later filters and values().
    """Annotate `paid`, `credited` and `open_amount` (never below 0) as of `on` (None: everything)."""
    allocations = PaymentAllocation.objects.all()
    notes = CreditNote.objects.all()
    if on is not None:
        # The payment is the invoice's client's: saying so lets the database use Payment(client, received_on).
        allocations = allocations.filter(
            payment__client_id=OuterRef("client_id"), payment__received_on__lte=on
        )
        notes = notes.filter(issued_on__lte=on)
    return invoices.annotate(
        paid=_sum_subquery(allocations, "invoice"),
        credited=_sum_subquery(notes, "invoice"),
    ).annotate(
        open_amount=Greatest(F("amount") - F("paid") - F("credited"), _zero(), output_field=MONEY),
    )


def _client_invoices(client_id: int, on: date | None) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(client_id=client_id)
    if on is not None:
        qs = qs.filter(issued_on__lte=on)
    return qs


def _sum_open(qs: QuerySet[Any]) -> Decimal:
    total = qs.aggregate(total=Sum("open_amount"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def open_receivables(client_id: int, *, on: date | None = None) -> Decimal:
    """What the client owes on invoices as of `on` (None: now, including anything dated later)."""
    return _sum_open(with_open_amount(_client_invoices(client_id, on), on=on))


def overdue_debt(client_id: int, *, on: date, tolerance_days: int = 0) -> Decimal:
    """Open amount of invoices more than `tolerance_days` days past their due date on `on`."""
    last_due = on - timedelta(days=tolerance_days + 1)
    qs = _client_invoices(client_id, on).filter(due_on__lte=last_due)
    return _sum_open(with_open_amount(qs, on=on))


def client_advance(client_id: int, *, on: date | None = None) -> Decimal:
    """Unallocated payments + credit notes not against an invoice (money the client has on account)."""
    payments = Payment.objects.filter(client_id=client_id)
    notes = CreditNote.objects.filter(client_id=client_id, invoice__isnull=True)
    allocations = PaymentAllocation.objects.filter(payment__client_id=client_id)
    if on is not None:
        payments = payments.filter(received_on__lte=on)
        notes = notes.filter(issued_on__lte=on)
        allocations = allocations.filter(payment__received_on__lte=on)
    paid = payments.aggregate(s=Sum("amount"))["s"] or ZERO
    allocated = allocations.aggregate(s=Sum("amount"))["s"] or ZERO
    credited = notes.aggregate(s=Sum("amount"))["s"] or ZERO
    return Decimal(paid - allocated + credited).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- credit score

SCORE_NO_HISTORY = 50
SCORE_LATE_DAYS_ZERO = 60  # average lateness at which the punctuality part reaches 0


def credit_score(client_id: int, *, on: date | None = None) -> int:
    """0–100 from payment history; 50 when the client has no matured invoice yet.

    Matured invoices are those due before `on` (default today) or already fully settled. Over them:
    * share_on_time = (Σ allocations received on or before the due date + Σ credit notes against them)
      / Σ invoice amounts;
    * avg_days_late = (Σ late allocation × days it came after the due date
      + Σ still-open amount × days overdue on `on`) / Σ invoice amounts  (amount-weighted);
    * score = round(70 × share_on_time + 30 × max(0, 1 − avg_days_late / 60)), kept within 0–100.
    Everything paid on time gives 100; nothing paid and 60+ days late on average gives 0.
    """
    day = on or timezone.localdate()
    invoices = list(
        with_open_amount(Invoice.objects.filter(client_id=client_id, issued_on__lte=day), on=day)
        .filter(Q(due_on__lt=day) | Q(open_amount=0))
        .values("pk", "amount", "due_on", "credited", "open_amount")
    )
    total = sum((row["amount"] for row in invoices), ZERO)
    if not invoices or total <= 0:
        return SCORE_NO_HISTORY
    due = {row["pk"]: row["due_on"] for row in invoices}
    on_time = sum((row["credited"] for row in invoices), ZERO)
    weighted_late = ZERO
    for invoice_id, amount, received_on in PaymentAllocation.objects.filter(
        invoice_id__in=due.keys(), payment__received_on__lte=day
    ).values_list("invoice_id", "amount", "payment__received_on"):
        late = (received_on - due[invoice_id]).days
        if late <= 0:
            on_time += amount
        else:
            weighted_late += amount * late
    for row in invoices:
        if row["open_amount"] > 0 and row["due_on"] < day:
            weighted_late += row["open_amount"] * (day - row["due_on"]).days
    share = min(Decimal(1), on_time / total)
    avg_late = weighted_late / total
    punctuality = max(Decimal(0), 1 - avg_late / SCORE_LATE_DAYS_ZERO)
    score = round(70 * share + 30 * punctuality)
    return max(0, min(100, int(score)))


# --------------------------------------------------------------------------- aging


GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "client": ("client_id", "client__short_name", "client__owner_id"),
    "kam": ("client__owner_id", "client__owner__first_name", "client__owner__last_name"),
    "department": ("client__department_id", "client__department__name"),
}


@dataclass
class AgingRow:
    key: int | None
    label: str
    current: Decimal = ZERO
    d1_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    d90_plus: Decimal = ZERO
    invoices: int = 0
    oldest_due_on: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def overdue(self) -> Decimal:
        return self.d1_30 + self.d31_60 + self.d61_90 + self.d90_plus

    @property
    def total(self) -> Decimal:
        return self.current + self.overdue

    def buckets(self) -> list[Decimal]:
        return [getattr(self, b) for b in BUCKETS]


def _open_invoices_sql(user: Any, on: date, client_ids: list[int] | None = None) -> tuple[str, list[Any]]:
    """SQL for the open invoices of visible clients as of `on`: (id, client_id, due_on, open_amount).

    Payments and credit notes are summed per invoice once, in derived tables joined to the invoices, so
    each allocation is read once (a correlated subquery per invoice and per bucket was 10× slower).
    """
    visible = receivable_clients(user)
    if client_ids is not None:
        visible = visible.filter(pk__in=client_ids)
    try:
        vis_sql, vis_params = visible.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a role that sees no client: an inner query that finds nothing
        vis_sql, vis_params = f"SELECT id FROM {Invoice._meta.db_table} WHERE 1 = 0", ()
    inv, alloc, pay, note = (
        Invoice._meta.db_table,
        PaymentAllocation._meta.db_table,
        Payment._meta.db_table,
        CreditNote._meta.db_table,
    )
    sql = f"""
        SELECT i.id AS id, i.client_id AS client_id, i.due_on AS due_on,
               i.amount - COALESCE(a.paid, 0) - COALESCE(n.credited, 0) AS open_amount
        FROM {inv} i
        LEFT JOIN (
            SELECT pa.invoice_id AS invoice_id, SUM(pa.amount) AS paid
            FROM {alloc} pa INNER JOIN {pay} p ON p.id = pa.payment_id
            WHERE p.received_on <= %s AND p.client_id IN ({vis_sql})
            GROUP BY pa.invoice_id
        ) a ON a.invoice_id = i.id
        LEFT JOIN (
            SELECT cn.invoice_id AS invoice_id, SUM(cn.amount) AS credited
            FROM {note} cn
            WHERE cn.invoice_id IS NOT NULL AND cn.issued_on <= %s AND cn.client_id IN ({vis_sql})
            GROUP BY cn.invoice_id
        ) n ON n.invoice_id = i.id
        WHERE i.issued_on <= %s AND i.client_id IN ({vis_sql})
    """
    return sql, [on, *vis_params, on, *vis_params, on, *vis_params]


def _fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _money(value: Any) -> Decimal:
    # SQLite sums NUMERIC columns as floats: back to exact kopecks.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# Open amounts below half a kopeck are float noise on SQLite, not debt.
OPEN_EPSILON = "0.005"


def aging(user: Any, *, on: date, group_by: GroupBy = "client") -> list[AgingRow]:
    """Open receivables of the clients `user` sees, by bucket of days overdue, one row per group.

    One SQL statement: invoices with their open amount (payments and credit notes summed per invoice
    in derived tables), grouped, with Σ CASE per bucket on days overdue (as due-date boundaries, the
    same SQL on SQLite and PostgreSQL). Rows are sorted by overdue amount, largest first.
    """
    if group_by not in GROUP_FIELDS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_FIELDS)}")
    from kam.access.models import Department, User
    from kam.clients.models import Client

    inner, params = _open_invoices_sql(user, on)
    columns = {
        "client": "c.id AS k, c.short_name AS label, '' AS label2",
        "kam": "c.owner_id AS k, u.first_name AS label, u.last_name AS label2",
        "department": "c.department_id AS k, d.name AS label, '' AS label2",
    }[group_by]
    group = {
        "client": "c.id, c.short_name",
        "kam": "c.owner_id, u.first_name, u.last_name",
        "department": "c.department_id, d.name",
    }[group_by]
    edges = [
        ("current", "x.due_on >= %s", [on]),
        ("d1_30", "x.due_on <= %s AND x.due_on >= %s", [on - timedelta(days=1), on - timedelta(days=30)]),
        ("d31_60", "x.due_on <= %s AND x.due_on >= %s", [on - timedelta(days=31), on - timedelta(days=60)]),
        ("d61_90", "x.due_on <= %s AND x.due_on >= %s", [on - timedelta(days=61), on - timedelta(days=90)]),
        ("d90_plus", "x.due_on <= %s", [on - timedelta(days=91)]),
    ]
    sums = ", ".join(
        f"SUM(CASE WHEN {cond} THEN x.open_amount ELSE 0 END) AS {name}" for name, cond, _p in edges
    )
    bucket_params = [p for _n, _c, ps in edges for p in ps]
    sql = f"""
        SELECT {columns}, {sums}, COUNT(*) AS invoices, MIN(x.due_on) AS oldest_due_on
        FROM ({inner}) x
        INNER JOIN {Client._meta.db_table} c ON c.id = x.client_id
        LEFT JOIN {User._meta.db_table} u ON u.id = c.owner_id
        LEFT JOIN {Department._meta.db_table} d ON d.id = c.department_id
        WHERE x.open_amount >= {OPEN_EPSILON}
        GROUP BY {group}
    """
    result = []
    for r in _fetch(sql, bucket_params + params):
        label = f"{r['label'] or ''} {r['label2'] or ''}".strip()
        if group_by == "department" and r["k"] is None:
            label = _("No department")
        row = AgingRow(
            key=r["k"], label=label, invoices=r["invoices"], oldest_due_on=_day(r["oldest_due_on"])
        )
        for b in BUCKETS:
            setattr(row, b, _money(r[b]))
        result.append(row)
    result.sort(key=lambda row: (-row.overdue, -row.total, row.label))
    return result


def aging_totals(rows: list[AgingRow]) -> AgingRow:
    total = AgingRow(key=None, label=_("Total"))
    for row in rows:
        for b in BUCKETS:
            setattr(total, b, getattr(total, b) + getattr(row, b))
        total.invoices += row.invoices
    return total


# --------------------------------------------------------------------------- lists for pages


def invoice_list(
    user: Any,
    *,
    client_id: int | None = None,
    state: str = "",
    on: date | None = None,
    search: str = "",
) -> QuerySet[Any]:
    """Invoices of visible clients with open amounts; state '' all, 'open', 'overdue', 'paid'."""
    day = on or timezone.localdate()
    qs = with_open_amount(
        Invoice.objects.filter(client_id__in=receivable_clients(user).values("pk")), on=None
    ).select_related("client", "client__owner")
    if client_id:
        qs = qs.filter(client_id=client_id)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(client__search_name__contains=search.upper()))
    if state in ("open", "overdue", "paid"):
        # Which invoices are open is decided by the set-based SQL (sums per invoice once), not by the
        # per-row subqueries above, which then run only for the rows of the page shown.
        inner, params = _open_invoices_sql(user, date.max, [client_id] if client_id else None)
        # Table names and constants only; every value is a bound parameter.
        open_ids = RawSQL(f"SELECT x.id FROM ({inner}) x WHERE x.open_amount >= {OPEN_EPSILON}", params)  # noqa: S611
        qs = qs.exclude(pk__in=open_ids) if state == "paid" else qs.filter(pk__in=open_ids)
        if state == "overdue":
            qs = qs.filter(due_on__lt=day)
    return qs.order_by("-issued_on", "-id")


def payment_list(user: Any, *, client_id: int | None = None) -> QuerySet[Payment]:
    allocated = (
        PaymentAllocation.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    qs = (
        Payment.objects.filter(client_id__in=receivable_clients(user).values("pk"))
        .select_related("client")
        .annotate(allocated=Coalesce(Subquery(allocated, output_field=MONEY), _zero(), output_field=MONEY))
        .annotate(unallocated=F("amount") - F("allocated"))
    )
    if client_id:
        qs = qs.filter(client_id=client_id)
    return qs.order_by("-received_on", "-id")


def client_figures(user: Any, *, on: date, client_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """Open and overdue per visible client in one query: {client_id: {open, overdue, oldest_due_on}}."""
    inner, params = _open_invoices_sql(user, on, client_ids)
    sql = f"""
        SELECT x.client_id AS client_id, SUM(x.open_amount) AS open_sum,
               SUM(CASE WHEN x.due_on < %s THEN x.open_amount ELSE 0 END) AS overdue,
               MIN(CASE WHEN x.due_on < %s THEN x.due_on END) AS oldest_due_on
        FROM ({inner}) x
        WHERE x.open_amount >= {OPEN_EPSILON}
        GROUP BY x.client_id
    """
    return {
        r["client_id"]: {
            "open": _money(r["open_sum"]),
            "overdue": _money(r["overdue"]),
            "oldest_due_on": _day(r["oldest_due_on"]),
        }
        for r in _fetch(sql, [on, on, *params])
    }


@dataclass
class WorklistRow:
    client_id: int
    client: str
    owner: str
    open: Decimal
    overdue: Decimal
    oldest_due_on: date | None
    days_overdue: int
    last_action_on: date | None
    last_action_kind: str
    promise_to_pay_on: date | None
    promise_broken: bool


def collection_worklist(user: Any, *, on: date) -> list[WorklistRow]:
    """Clients with overdue debt that `user` sees, largest overdue first, then the oldest.

    A KAM sees own clients (visible_clients), a head the department, director and finance all.
    """
    figures = {cid: f for cid, f in client_figures(user, on=on).items() if f["overdue"] > 0}
    if not figures:
        return []
    from kam.clients.models import Client

    last_action = CollectionAction.objects.filter(client=OuterRef("pk")).order_by("-done_on", "-id")
    promise = (
        CollectionAction.objects.filter(client=OuterRef("pk"), promise_to_pay_on__isnull=False)
        .order_by("-done_on", "-id")
        .values("promise_to_pay_on")[:1]
    )
    clients = (
        Client.objects.filter(pk__in=figures.keys())
        .select_related("owner")
        .annotate(
            last_action_on=Subquery(last_action.values("done_on")[:1]),
            last_action_kind=Subquery(last_action.values("kind")[:1]),
            promise_to_pay_on=Subquery(promise),
        )
    )
    from .models import ActionKind

    kinds = dict(ActionKind.choices)
    rows = []
    for c in clients:
        f = figures[c.pk]
        promise_on = c.promise_to_pay_on
        rows.append(
            WorklistRow(
                client_id=c.pk,
                client=c.short_name,
                owner=str(c.owner),
                open=f["open"],
                overdue=f["overdue"],
                oldest_due_on=f["oldest_due_on"],
                days_overdue=(on - f["oldest_due_on"]).days if f["oldest_due_on"] else 0,
                last_action_on=c.last_action_on,
                last_action_kind=str(kinds.get(c.last_action_kind or "", "")),
                promise_to_pay_on=promise_on,
                promise_broken=bool(promise_on and promise_on < on),
            )
        )
    rows.sort(key=lambda r: (-r.overdue, -r.days_overdue, r.client))
    return rows


def collection_history(client_id: int) -> QuerySet[CollectionAction]:
    return CollectionAction.objects.filter(client_id=client_id).select_related("by", "invoice")


# --------------------------------------------------------------------------- reconciliation


@dataclass
class StatementLine:
    day: date
    kind: str  # invoice / payment / credit_note
    document: str
    debit: Decimal  # the client owes more (invoices)
    credit: Decimal  # the client owes less (payments, credit notes)


@dataclass
class Statement:
    client: Any
    start: date
    end: date
    opening: Decimal
    lines: list[StatementLine]
    debit_total: Decimal
    credit_total: Decimal
    closing: Decimal

    # A balance is shown on the side it falls: debit when the client owes us, credit when we owe them.
    @property
    def opening_debit(self) -> Decimal:
        return max(self.opening, ZERO)

    @property
    def opening_credit(self) -> Decimal:
        return max(-self.opening, ZERO)

    @property
    def closing_debit(self) -> Decimal:
        return max(self.closing, ZERO)

    @property
    def closing_credit(self) -> Decimal:
        return max(-self.closing, ZERO)


def _balance_before(client_id: int, day: date) -> Decimal:
    """Invoices − payments − credit notes dated before `day` (positive: the client owes us)."""
    invoiced = Invoice.objects.filter(client_id=client_id, issued_on__lt=day).aggregate(s=Sum("amount"))["s"]
    paid = Payment.objects.filter(client_id=client_id, received_on__lt=day).aggregate(s=Sum("amount"))["s"]
    credited = CreditNote.objects.filter(client_id=client_id, issued_on__lt=day).aggregate(s=Sum("amount"))[
        "s"
    ]
    return Decimal((invoiced or ZERO) - (paid or ZERO) - (credited or ZERO)).quantize(Decimal("0.01"))


def reconciliation(client: Any, *, start: date, end: date) -> Statement:
    """Mutual settlements for a period: opening + invoices − payments − credit notes = closing, exactly."""
    lines: list[StatementLine] = []
    for number, day, amount in Invoice.objects.filter(
        client=client, issued_on__gte=start, issued_on__lte=end
    ).values_list("number", "issued_on", "amount"):
        lines.append(StatementLine(day, "invoice", _("Invoice %(n)s") % {"n": number}, amount, ZERO))
    for ref, day, amount in Payment.objects.filter(
        client=client, received_on__gte=start, received_on__lte=end
    ).values_list("reference", "received_on", "amount"):
        lines.append(StatementLine(day, "payment", _("Payment %(ref)s") % {"ref": ref or "—"}, ZERO, amount))
    for reason, invoice_number, day, amount in CreditNote.objects.filter(
        client=client, issued_on__gte=start, issued_on__lte=end
    ).values_list("reason", "invoice__number", "issued_on", "amount"):
        doc = _("Credit note: %(reason)s") % {"reason": reason}
        if invoice_number:
            doc += f" ({invoice_number})"
        lines.append(StatementLine(day, "credit_note", doc, ZERO, amount))
    order = {"invoice": 0, "payment": 1, "credit_note": 2}
    lines.sort(key=lambda line: (line.day, order[line.kind], line.document))
    opening = _balance_before(client.pk, start)
    debit = sum((line.debit for line in lines), ZERO)
    credit = sum((line.credit for line in lines), ZERO)
    return Statement(
        client=client,
        start=start,
        end=end,
        opening=opening,
        lines=lines,
        debit_total=debit,
        credit_total=credit,
        closing=opening + debit - credit,
    )


def latest_promise(client_id: int, *, on: date) -> CollectionAction | None:
    """The most recent promise to pay that is still ahead of or at `on` (None if none)."""
    return (
        CollectionAction.objects.filter(client_id=client_id, promise_to_pay_on__gte=on)
        .order_by("-done_on", "-id")
        .first()
    )


def last_payment_on(client_id: int) -> date | None:
    return Payment.objects.filter(client_id=client_id).aggregate(d=Max("received_on"))["d"]
