"""Receivables: invoices, payments and how they are allocated, credit notes, collection work.

An invoice's open amount = its amount − what payments allocated to it − credit notes issued against it,
never below zero. A payment's part that is not allocated to any invoice is the client's advance.

`Invoice.order_id` holds the id of `orders.Order` as a plain indexed integer, not a ForeignKey: the orders
app is built in parallel and a FK would tie this app's migrations to one of its migrations. The orders
app reaches an order's invoice with `Invoice.objects.filter(order_id=order.pk)`; one invoice per order.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def for_client(self, client_id: int) -> InvoiceQuerySet:
        return self.filter(client_id=client_id)

    def due_before(self, day: date) -> InvoiceQuerySet:
        return self.filter(due_on__lt=day)


class Invoice(models.Model):
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("number"), max_length=64, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"), db_index=True)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    # The id of orders.Order (no FK on purpose, see the module docstring).
    order_id = models.BigIntegerField(_("order"), null=True, blank=True, db_index=True)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"),
            models.UniqueConstraint(
                fields=["order_id"], condition=Q(order_id__isnull=False), name="invoice_one_per_order"
            ),
        ]
        indexes = [models.Index(fields=["client", "due_on"])]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="payments"
    )
    received_on = models.DateField(_("received on"), db_index=True)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [models.Index(fields=["client", "received_on"])]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} {self.reference}".strip()


class PaymentAllocation(models.Model):
    """A part of a payment settling an invoice. Sums are kept within the payment and the invoice by
    services.payment_record / payment_allocate (under row locks); the database guards the rest."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(CENT)]
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class CreditNote(models.Model):
    """Reduces what the client owes: against one invoice, or (invoice empty) as a credit on account."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    issued_on = models.DateField(_("issued on"))
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive")]

    def __str__(self) -> str:
        return f"{self.issued_on} {self.amount}"


class ActionKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    CALL = "call", _("Call")
    LETTER = "letter", _("Letter")
    ESCALATION = "escalation", _("Escalation")


class CollectionAction(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="collection_actions",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_actions",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ActionKind.choices)
    done_on = models.DateField(_("done on"))
    note = models.TextField(_("note"), blank=True)
    promise_to_pay_on = models.DateField(_("promised payment date"), null=True, blank=True)
    promised_amount = models.DecimalField(
        _("promised amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENT)],
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-id"]
        verbose_name = _("collection action")
        verbose_name_plural = _("collection actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_amount__isnull=True) | Q(promised_amount__gt=0),
                name="collection_promised_amount_positive",
            ),
        ]
        indexes = [models.Index(fields=["client", "done_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.done_on}"
