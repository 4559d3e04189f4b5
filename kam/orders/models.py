"""Products, the price list with columns, orders with their lines, history, approvals, returns and acts.

An order moves through the states in `services.TRANSITIONS` only; every move is an `OrderEvent`
(from → to, who, when, reason). Money is Decimal; the cost price of a product is sensitive
(sales support never sees it, see policy `orders.view_cost_prices` / `orders.view_margins`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PRICE_COLUMNS = 10


class Product(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    cost_price = models.DecimalField(
        _("cost price"),
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductPrice(models.Model):
    """One cell of the price list: a product's price in a column (1 = base)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    column = models.PositiveSmallIntegerField(
        _("column"), validators=[MinValueValidator(1), MaxValueValidator(PRICE_COLUMNS)]
    )
    price = models.DecimalField(
        _("price"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["product_id", "column"]
        constraints = [
            models.UniqueConstraint(fields=["product", "column"], name="orders_price_product_column"),
            models.CheckConstraint(
                condition=models.Q(column__gte=1, column__lte=PRICE_COLUMNS), name="orders_price_column_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.column}: {self.price}"


class OverdueAction(models.TextChoices):
    APPROVAL = "approval", _("the order waits for the head's approval")
    BLOCK = "block", _("the order is blocked")


class OrderSettings(models.Model):
    """The rules of discounts and credit (one row)."""

    kam_max_discount = models.DecimalField(
        _("a KAM may give up to, % below the client's column"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(3),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    overdue_tolerance_amount = models.DecimalField(
        _("overdue debt tolerated up to, RUB"),
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    overdue_tolerance_days = models.PositiveSmallIntegerField(_("days late tolerated"), default=0)
    overdue_action = models.CharField(
        _("overdue debt above the tolerance"),
        max_length=10,
        choices=OverdueAction.choices,
        default=OverdueAction.APPROVAL,
    )

    class Meta:
        verbose_name = _("order rules")

    def __str__(self) -> str:
        return "order rules"

    @classmethod
    def current(cls) -> OrderSettings:
        config, _created = cls.objects.get_or_create(pk=1)
        return config


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    SUBMITTED = "submitted", _("Submitted")
    ENTERED = "entered", _("Entered")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    PARTLY_RETURNED = "partly_returned", _("Partly returned")
    RETURNED = "returned", _("Returned")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


# Orders that hold credit: taken and checked, not yet delivered (hence not yet invoiced).
OPEN_STATUSES = (
    OrderStatus.AWAITING_APPROVAL,
    OrderStatus.SUBMITTED,
    OrderStatus.ENTERED,
    OrderStatus.SHIPPED,
)


class Reason(models.TextChoices):
    QUALITY = "quality", _("Quality")
    MISGRADING = "misgrading", _("Wrong grade")
    SHORTAGE = "shortage", _("Shortage")
    DAMAGED = "damaged", _("Damaged in transit")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    LATE = "late", _("Late delivery")
    PRICE = "price", _("Price")
    NOT_NEEDED = "not_needed", _("No longer needed")
    OTHER = "other", _("Other")


class Order(models.Model):
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="orders"
    )
    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("KAM"), on_delete=models.PROTECT, related_name="orders"
    )
    column = models.PositiveSmallIntegerField(
        _("price-list column"), validators=[MinValueValidator(1), MaxValueValidator(PRICE_COLUMNS)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT, db_index=True
    )
    note = models.TextField(_("note"), blank=True)
    total = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal(0))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    reason_note = models.TextField(_("reason, in words"), blank=True)
    # The credit check as it was at submission.
    credit_limit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    credit_receivables = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    credit_open_orders = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    credit_overdue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    credit_score = models.PositiveSmallIntegerField(null=True, blank=True)
    invoice_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["client", "status"], name="orders_order_client_status")]

    def __str__(self) -> str:
        return f"#{self.pk}"


def percent_below(client_price: Decimal, price: Decimal) -> Decimal:
    """How far ``price`` is below the client's own column price, in % to 0.01 (0 when not below)."""
    if not client_price:
        return Decimal(0)
    gap = (client_price - price) / client_price * 100
    return max(gap, Decimal(0)).quantize(Decimal("0.01"))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("priority"), default=1)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    list_price = models.DecimalField(_("list price"), max_digits=16, decimal_places=2)
    client_price = models.DecimalField(_("client's column price"), max_digits=16, decimal_places=2)
    discount = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.pk}"

    @property
    def below_client_column(self) -> Decimal:
        """How far the price is below the client's own column, in % (0 when not below)."""
        return percent_below(self.client_price, self.price)


class OrderEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DiscountApproval(models.Model):
    """A request to the head: a discount beyond the rules, or overdue debt above the tolerance."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="approvals")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    grounds = models.TextField(_("why approval is needed"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.decision}"


class OrderReturn(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    number = models.PositiveSmallIntegerField()
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    returned_on = models.DateField()

    class Meta:
        ordering = ["order_id", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="orders_return_number")]

    def __str__(self) -> str:
        return f"{self.order_id}/ret-{self.number}"


class ReturnLine(models.Model):
    order_return = models.ForeignKey(OrderReturn, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="returned")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"


class ActKind(models.TextChoices):
    SHORTAGE = "shortage", _("Shortage")
    MISGRADING = "misgrading", _("Misgrading")


class DeliveryAct(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="acts")
    kind = models.CharField(_("kind"), max_length=12, choices=ActKind.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"


class DeliveryActLine(models.Model):
    act = models.ForeignKey(DeliveryAct, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"
