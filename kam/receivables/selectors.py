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

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
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
        allocations = allocations.filter(payment__received_on__lte=on)
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


def _bucket_case(on: date) -> dict[str, Any]:
    """Σ open amount per bucket: CASE on days overdue as due-date boundaries (same SQL on every DB)."""

    def between(low: int, high: int | None) -> Q:
        # days overdue in [low, high] ⇔ due_on in [on − high, on − low]
        q = Q(due_on__lte=on - timedelta(days=low))
        if high is not None:
            q &= Q(due_on__gte=on - timedelta(days=high))
        return q

    conditions = {
        "current": Q(due_on__gte=on),
        "d1_30": between(1, 30),
        "d31_60": between(31, 60),
        "d61_90": between(61, 90),
        "d90_plus": between(91, None),
    }
    return {
        name: Coalesce(
            Sum(Case(When(cond, then=F("open_amount")), default=_zero(), output_field=MONEY)),
            _zero(),
            output_field=MONEY,
        )
        for name, cond in conditions.items()
    }


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


def open_invoices(user: Any, *, on: date) -> QuerySet[Any]:
    """Invoices of clients `user` may see, issued by `on`, with open_amount > 0 as of `on`."""
    visible = receivable_clients(user).values("pk")
    return with_open_amount(Invoice.objects.filter(client_id__in=visible, issued_on__lte=on), on=on).filter(
        open_amount__gt=0
    )


def aging(user: Any, *, on: date, group_by: GroupBy = "client") -> list[AgingRow]:
    """Open receivables of the clients `user` sees, by bucket of days overdue, one row per group.

    One SQL statement: invoices with their open amount (correlated subqueries), grouped, with
    Σ CASE per bucket. Rows are sorted by overdue amount, largest first.
    """
    if group_by not in GROUP_FIELDS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_FIELDS)}")
    fields = GROUP_FIELDS[group_by]
    rows = (
        open_invoices(user, on=on)
        .order_by()
        .values(*fields)
        .annotate(**_bucket_case(on), invoices=Count("pk"), oldest_due_on=Min("due_on"))
    )
    result = []
    for r in rows:
        if group_by == "client":
            key, label = r["client_id"], r["client__short_name"]
        elif group_by == "kam":
            key = r["client__owner_id"]
            label = f"{r['client__owner__first_name']} {r['client__owner__last_name']}".strip()
        else:
            key, label = r["client__department_id"], r["client__department__name"] or _("No department")
        result.append(
            AgingRow(
                key=key,
                label=label,
                invoices=r["invoices"],
                oldest_due_on=r["oldest_due_on"],
                extra={"owner_id": r.get("client__owner_id")},
                **{b: Decimal(r[b]).quantize(Decimal("0.01")) for b in BUCKETS},
            )
        )
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
    if state == "open":
        qs = qs.filter(open_amount__gt=0)
    elif state == "overdue":
        qs = qs.filter(open_amount__gt=0, due_on__lt=day)
    elif state == "paid":
        qs = qs.filter(open_amount=0)
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
    qs = open_invoices(user, on=on)
    if client_ids is not None:
        qs = qs.filter(client_id__in=client_ids)
    rows = (
        qs.order_by()
        .values("client_id")
        .annotate(
            open=Sum("open_amount"),
            overdue=Coalesce(
                Sum(Case(When(due_on__lt=on, then=F("open_amount")), default=_zero(), output_field=MONEY)),
                _zero(),
                output_field=MONEY,
            ),
            oldest_due_on=Min(Case(When(due_on__lt=on, then=F("due_on")))),
        )
    )
    return {
        r["client_id"]: {
            "open": Decimal(r["open"]).quantize(Decimal("0.01")),
            "overdue": Decimal(r["overdue"]).quantize(Decimal("0.01")),
            "oldest_due_on": r["oldest_due_on"],
        }
        for r in rows
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
