"""Plans per KAM and period, the department's plan, and the commission rules of the variable pay.

Money is Decimal in roubles here. Rates and factors are exact decimals, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .periods import Period, PeriodKind


def _rub_field(label: object, **extra: object) -> Any:
    return models.DecimalField(
        label,  # type: ignore[arg-type]
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        **extra,  # type: ignore[arg-type]
    )


class PlanFigures(models.Model):
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start)  # type: ignore[arg-type]

    def clean(self) -> None:
        if self.period_kind and self.period_start:
            try:
                Period.checked(self.period_kind, self.period_start)
            except ValueError as error:
                raise ValidationError({"period_start": str(error)}) from None


class Plan(PlanFigures):
    """A KAM's targets for one month, quarter or year."""

    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("KAM"), on_delete=models.CASCADE, related_name="plans"
    )
    sales_volume = _rub_field(_("sales volume, RUB"))
    active_clients = models.PositiveIntegerField(_("active clients"))
    new_clients = models.PositiveIntegerField(_("new clients"))

    class Meta:
        ordering = ["period_start", "kam_id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(
                fields=["kam", "period_kind", "period_start"], name="plan_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kam} {self.period}"


class PlanChange(models.Model):
    """One version of a plan: who set which figures when (the plan page shows them all)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    sales_volume = models.DecimalField(max_digits=16, decimal_places=2)
    active_clients = models.PositiveIntegerField()
    new_clients = models.PositiveIntegerField()
    previous = models.JSONField(default=dict, blank=True)  # the figures before, empty for the first one
    note = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan_id} at {self.changed_at:%Y-%m-%d %H:%M}" if self.changed_at else str(self.plan_id)


class DepartmentPlan(PlanFigures):
    """The department's own figures; an empty figure means "the sum of its KAMs' plans"."""

    department = models.ForeignKey(
        "access.Department", verbose_name=_("department"), on_delete=models.CASCADE, related_name="plans"
    )
    sales_volume = _rub_field(_("sales volume, RUB"), null=True, blank=True)
    active_clients = models.PositiveIntegerField(_("active clients"), null=True, blank=True)
    new_clients = models.PositiveIntegerField(_("new clients"), null=True, blank=True)

    class Meta:
        ordering = ["period_start", "department_id"]
        verbose_name = _("department plan")
        verbose_name_plural = _("department plans")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "period_kind", "period_start"], name="department_plan_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.period}"


class CommissionBase(models.TextChoices):
    AMOUNT = "amount", _("Deal amount (revenue)")
    MARGIN = "margin", _("Margin (revenue − cost)")


# The sources say about 5 % for large deals and 10–15 % for medium ones; these are the editable defaults.
DEFAULT_TIERS = [
    (Decimal("1000000.00"), Decimal("5.00")),
    (Decimal("100000.00"), Decimal("12.00")),
    (Decimal("0.00"), Decimal("15.00")),
]
DEFAULT_FACTORS = [
    (Decimal("0"), Decimal("0.50")),
    (Decimal("80"), Decimal("1.00")),
    (Decimal("100"), Decimal("1.20")),
]


class CommissionRules(models.Model):
    """The company's commission rules; one row, changed by the director."""

    base = models.CharField(
        _("commission base"), max_length=8, choices=CommissionBase.choices, default=CommissionBase.AMOUNT
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission rules")

    def __str__(self) -> str:
        return "commission rules"

    @classmethod
    def current(cls) -> CommissionRules:
        rules, created = cls.objects.get_or_create(pk=1)
        if created:
            CommissionTier.objects.bulk_create(
                CommissionTier(rules=rules, min_amount=m, rate=r) for m, r in DEFAULT_TIERS
            )
            FulfilmentFactor.objects.bulk_create(
                FulfilmentFactor(rules=rules, from_pct=p, factor=f) for p, f in DEFAULT_FACTORS
            )
        return rules


class CommissionTier(models.Model):
    """Deals whose amount is at least `min_amount` (and below the next tier) earn `rate` per cent."""

    rules = models.ForeignKey(CommissionRules, on_delete=models.CASCADE, related_name="tiers")
    min_amount = _rub_field(_("deal amount from, RUB"))
    rate = models.DecimalField(
        _("rate, %"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["-min_amount"]
        constraints = [models.UniqueConstraint(fields=["rules", "min_amount"], name="commission_tier_once")]

    def __str__(self) -> str:
        return f"≥ {self.min_amount}: {self.rate} %"


class FulfilmentFactor(models.Model):
    """From `from_pct` per cent of the month's sales plan (up to the next row) commissions are × `factor`."""

    rules = models.ForeignKey(CommissionRules, on_delete=models.CASCADE, related_name="factors")
    from_pct = models.DecimalField(
        _("plan fulfilment from, %"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    factor = models.DecimalField(
        _("factor"), max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["-from_pct"]
        constraints = [models.UniqueConstraint(fields=["rules", "from_pct"], name="fulfilment_factor_once")]

    def __str__(self) -> str:
        return f"≥ {self.from_pct} %: × {self.factor}"
