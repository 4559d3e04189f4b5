"""Writes of receivables. Permission is checked by the caller (policy.can); these keep the books right.

Allocation rules: a payment settles invoices of its own client; without an explicit allocation, the
oldest due first (then the oldest issued); a part never exceeds the invoice's open amount nor what is
left of the payment; what remains unallocated is the client's advance. Rows that two people could
change at once (the payment, the invoices it settles) are locked with select_for_update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from .models import ActionKind, CollectionAction, CreditNote, Invoice, Payment, PaymentAllocation
from .selectors import ZERO, with_open_amount

CENT = Decimal("0.01")


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(value)
    except Exception:
        raise ValidationError({field: _("Enter an amount.")}) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValidationError({field: _("Use at most two decimal places.")})
    return amount


def invoice_create(
    *,
    client: Any,
    number: str,
    issued_on: date,
    due_on: date,
    amount: Decimal,
    order_id: int | None = None,
    actor: Any,
    external_id: str | None = None,
    currency: str = "RUB",
) -> Invoice:
    invoice = Invoice(
        client=client,
        number=(number or "").strip(),
        issued_on=issued_on,
        due_on=due_on,
        amount=_money(amount, "amount"),
        order_id=order_id,
        currency=currency,
        external_id=external_id or None,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if issued_on and due_on and due_on < issued_on:
        raise ValidationError({"due_on": _("The due date cannot be before the issue date.")})
    invoice.full_clean()
    with transaction.atomic():
        invoice.save()
    return invoice


def invoice_create_for_order(
    *, order_id: int, client: Any, amount: Decimal, issued_on: date, actor: Any
) -> Invoice:
    """The invoice of an order: number INV-<order_id>, due after the client's payment terms.

    Idempotent: an order has at most one invoice; calling again returns the existing one.
    """
    existing = Invoice.objects.filter(order_id=order_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return invoice_create(
                client=client,
                number=f"INV-{order_id}",
                issued_on=issued_on,
                due_on=issued_on + timedelta(days=client.payment_terms_days),
                amount=amount,
                order_id=order_id,
                actor=actor,
            )
    except (IntegrityError, ValidationError):
        # Two requests raced, or the number exists: the invoice of that order is the answer.
        existing = Invoice.objects.filter(order_id=order_id).first()
        if existing is None:
            raise
        return existing


def _open_amounts(invoice_ids: Sequence[int]) -> dict[int, Decimal]:
    return dict(with_open_amount(Invoice.objects.filter(pk__in=invoice_ids)).values_list("pk", "open_amount"))


def _allocate(
    payment: Payment, allocate: Sequence[tuple[Invoice, Decimal]] | None, *, left: Decimal
) -> list[PaymentAllocation]:
    """Allocate up to `left` of `payment`; caller holds the transaction and the payment lock."""
    if allocate is None:
        ids = list(
            Invoice.objects.select_for_update()
            .filter(client_id=payment.client_id)
            .order_by("due_on", "issued_on", "id")
            .values_list("pk", flat=True)
        )
        opens = _open_amounts(ids)
        plan = [(pk, opens.get(pk, ZERO)) for pk in ids if opens.get(pk, ZERO) > 0]
        explicit = False
    else:
        plan = []
        seen: set[int] = set()
        for invoice, amount in allocate:
            if invoice.client_id != payment.client_id:
                raise ValidationError(_("Invoice %(n)s belongs to another client.") % {"n": invoice.number})
            if invoice.pk in seen:
                raise ValidationError(_("Invoice %(n)s is listed twice.") % {"n": invoice.number})
            seen.add(invoice.pk)
            amount = _money(amount, "allocate")
            if amount <= 0:
                raise ValidationError(_("An allocated amount must be positive."))
            plan.append((invoice.pk, amount))
        list(Invoice.objects.select_for_update().filter(pk__in=seen).order_by("pk").values_list("pk"))
        explicit = True
    opens = _open_amounts([pk for pk, _amount in plan])
    numbers = dict(Invoice.objects.filter(pk__in=[pk for pk, _a in plan]).values_list("pk", "number"))
    existing = set(
        PaymentAllocation.objects.filter(payment=payment, invoice_id__in=opens).values_list(
            "invoice_id", flat=True
        )
    )
    made = []
    for invoice_id, wanted in plan:
        open_amount = opens.get(invoice_id, ZERO)
        if explicit and wanted > open_amount:
            raise ValidationError(
                _("%(amount)s is more than the open amount %(open)s of invoice %(n)s.")
                % {"amount": wanted, "open": open_amount, "n": numbers[invoice_id]}
            )
        if explicit and wanted > left:
            raise ValidationError(
                _("The allocations add up to more than the payment (%(left)s left).") % {"left": left}
            )
        part = min(wanted, open_amount, left)
        if part <= 0:
            continue
        if invoice_id in existing:
            allocation = PaymentAllocation.objects.get(payment=payment, invoice_id=invoice_id)
            allocation.amount += part
            allocation.save(update_fields=["amount"])
        else:
            allocation = PaymentAllocation.objects.create(payment=payment, invoice_id=invoice_id, amount=part)
        made.append(allocation)
        left -= part
        if left <= 0:
            break
    return made


def payment_record(
    *,
    client: Any,
    received_on: date,
    amount: Decimal,
    reference: str,
    actor: Any,
    allocate: list[tuple[Invoice, Decimal]] | None = None,
    external_id: str | None = None,
) -> Payment:
    """Record a payment and allocate it (explicitly, or oldest due first); the rest stays an advance."""
    payment = Payment(
        client=client,
        received_on=received_on,
        amount=_money(amount, "amount"),
        reference=(reference or "").strip(),
        external_id=external_id or None,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    payment.full_clean()
    with transaction.atomic():
        payment.save()
        _allocate(payment, allocate, left=payment.amount)
    return payment


def payment_unallocated(payment: Payment) -> Decimal:
    allocated = payment.allocations.aggregate(s=Sum("amount"))["s"] or ZERO
    return payment.amount - allocated


def payment_allocate(
    *, payment: Payment, actor: Any, allocate: list[tuple[Invoice, Decimal]] | None = None
) -> list[PaymentAllocation]:
    """Apply what is left of a payment (an advance) to invoices, explicitly or oldest due first."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        left = payment_unallocated(locked)
        if left <= 0:
            raise ValidationError(_("This payment is already fully allocated."))
        return _allocate(locked, allocate, left=left)


def credit_note_create(
    *,
    client: Any,
    amount: Decimal,
    issued_on: date,
    reason: str,
    actor: Any,
    invoice: Invoice | None = None,
) -> CreditNote:
    """A credit note against an invoice (at most its open amount) or on the client's account."""
    note = CreditNote(
        client=client,
        invoice=invoice,
        amount=_money(amount, "amount"),
        issued_on=issued_on,
        reason=(reason or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    note.full_clean()
    with transaction.atomic():
        if invoice is not None:
            if invoice.client_id != client.pk:
                raise ValidationError({"invoice": _("The invoice belongs to another client.")})
            Invoice.objects.select_for_update().filter(pk=invoice.pk).exists()
            open_amount = _open_amounts([invoice.pk]).get(invoice.pk, ZERO)
            if note.amount > open_amount:
                raise ValidationError(
                    {
                        "amount": _("The credit note exceeds the open amount %(open)s of the invoice.")
                        % {"open": open_amount}
                    }
                )
        note.save()
    return note


def collection_action_add(
    *,
    client: Any,
    kind: str,
    done_on: date,
    actor: Any,
    note: str = "",
    invoice: Invoice | None = None,
    promise_to_pay_on: date | None = None,
    promised_amount: Decimal | None = None,
) -> CollectionAction:
    if kind not in ActionKind.values:
        raise ValidationError({"kind": _("Unknown kind of action.")})
    if invoice is not None and invoice.client_id != client.pk:
        raise ValidationError({"invoice": _("The invoice belongs to another client.")})
    if promised_amount is not None and promise_to_pay_on is None:
        raise ValidationError({"promise_to_pay_on": _("Give the date the client promised to pay.")})
    if promise_to_pay_on is not None and promise_to_pay_on < done_on:
        raise ValidationError({"promise_to_pay_on": _("A promise to pay cannot be dated in the past.")})
    action = CollectionAction(
        client=client,
        invoice=invoice,
        kind=kind,
        done_on=done_on,
        note=(note or "").strip(),
        promise_to_pay_on=promise_to_pay_on,
        promised_amount=_money(promised_amount, "promised_amount") if promised_amount is not None else None,
        by=actor,
    )
    action.full_clean()
    with transaction.atomic():
        action.save()
    return action


def credit_limit_set(*, client: Any, limit: Decimal, actor: Any) -> Any:
    """Set a client's credit limit (finance and director: the caller checks receivables.set_credit_limit)."""
    value = _money(limit, "credit_limit")
    if value < 0:
        raise ValidationError({"credit_limit": _("The credit limit cannot be negative.")})
    from kam.clients.models import Client

    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        locked.credit_limit = value
        locked.save(update_fields=["credit_limit", "updated_at"])
    client.credit_limit = value
    return locked
