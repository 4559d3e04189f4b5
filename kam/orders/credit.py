"""The orders' view of receivables: open debt, overdue debt, score and the invoice made on delivery.

Receivables own invoices and payments; orders only ask these four questions, through here, so the
rest of the app reads one name for each.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def open_receivables(client_id: int, *, on: date | None = None) -> Decimal:
    from kam.receivables import selectors

    return Decimal(selectors.open_receivables(client_id, on=on))


def overdue_debt(client_id: int, *, on: date, tolerance_days: int = 0) -> Decimal:
    from kam.receivables import selectors

    return Decimal(selectors.overdue_debt(client_id, on=on, tolerance_days=tolerance_days))


def credit_score(client_id: int) -> int:
    from kam.receivables import selectors

    return int(selectors.credit_score(client_id))


def invoice_for_order(*, order_id: int, client: Any, amount: Decimal, issued_on: date, actor: Any) -> Any:
    from kam.receivables import services

    return services.invoice_create_for_order(
        order_id=order_id, client=client, amount=amount, issued_on=issued_on, actor=actor
    )


def credit_note_for_return(
    *, order_id: int, client: Any, amount: Decimal, issued_on: date, reason: str, actor: Any
) -> Any:
    """Goods came back: credit the order's invoice, or the client's account when it is paid already."""
    from kam.receivables import selectors, services
    from kam.receivables.models import Invoice

    invoice = Invoice.objects.filter(order_id=order_id).first()
    if invoice is not None:
        open_amount = (
            selectors.with_open_amount(Invoice.objects.filter(pk=invoice.pk))
            .values_list("open_amount", flat=True)
            .first()
        )
        if open_amount is None or open_amount < amount:
            invoice = None
    return services.credit_note_create(
        client=client, amount=amount, issued_on=issued_on, reason=reason, actor=actor, invoice=invoice
    )
