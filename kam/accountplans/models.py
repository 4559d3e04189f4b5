"""Account plans: one plan per key client and year, with targets, SWOT, strategy, relationship goals,
actions in the schedule, a review by the head and frozen versions.

A plan moves draft → submitted → approved, or → returned (with the head's comment) and back to draft
work. Each submission freezes a `PlanVersion` (the plan's content as JSON); editing an approved plan
reopens it as a new draft.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.clients.models import Attitude


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for rework")


EDITABLE_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class AccountPlan(models.Model):
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="account_plans"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("KAM"),
        on_delete=models.PROTECT,
        related_name="account_plans",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True
    )
    strategy = models.TextField(_("strategy"), blank=True)
    # The last review's comment (the head's reason for returning the plan).
    review_comment = models.TextField(_("review comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-year", "client__short_name", "pk"]
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [
            models.UniqueConstraint(fields=["client", "year"], name="accountplan_one_per_client_year"),
        ]
        indexes = [
            models.Index(fields=["status", "year"]),
            models.Index(fields=["owner", "year"]),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.year}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class ObjectiveKind(models.TextChoices):
    REVENUE = "revenue", _("Revenue (turnover)")
    MARGIN = "margin", _("Margin (income)")
    SHARE_OF_WALLET = "wallet", _("Share of wallet")
    PRODUCT = "product", _("Product to introduce")


class Objective(models.Model):
    """A measurable target. Revenue and margin in RUB for the year, share of wallet in percent of the
    client's budget for our category, a product: bought by the client during the year."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    kind = models.CharField(_("kind"), max_length=10, choices=ObjectiveKind.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="product", product__isnull=False))
                | (~Q(kind="product") & Q(product__isnull=True) & Q(target__isnull=False)),
                name="accountplan_objective_target_or_product",
            ),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gte=0), name="accountplan_objective_target_ge_0"
            ),
            models.UniqueConstraint(
                fields=["plan", "product"],
                condition=Q(product__isnull=False),
                name="accountplan_product_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product or self.target}"


class SwotKind(models.TextChoices):
    STRENGTH = "strength", _("Strengths")
    WEAKNESS = "weakness", _("Weaknesses")
    OPPORTUNITY = "opportunity", pgettext_lazy("SWOT", "Opportunities")
    THREAT = "threat", _("Threats")


# Weaknesses and threats are for us, not for the client's copy of the plan.
INTERNAL_SWOT = (SwotKind.WEAKNESS, SwotKind.THREAT)


class SwotItem(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="swot_items")
    kind = models.CharField(_("kind"), max_length=12, choices=SwotKind.choices)
    text = models.CharField(_("text"), max_length=500)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.text


# From the coldest to the warmest: a goal is met once the stakeholder is at least at its target.
ATTITUDE_RANK = {
    Attitude.OPPONENT: 0,
    Attitude.NEUTRAL: 1,
    Attitude.SUPPORTER: 2,
    Attitude.CHAMPION: 3,
}


class StakeholderGoal(models.Model):
    """Move a person at the client from one attitude to a warmer one by a date."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="stakeholder_goals")
    stakeholder = models.ForeignKey(
        "clients.Stakeholder", verbose_name=_("stakeholder"), on_delete=models.CASCADE, related_name="+"
    )
    from_attitude = models.CharField(_("attitude when set"), max_length=12, choices=Attitude.choices)
    target_attitude = models.CharField(_("target attitude"), max_length=12, choices=Attitude.choices)
    due_on = models.DateField(_("by"))
    note = models.CharField(_("how"), max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "stakeholder"], name="accountplan_goal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder}: {self.from_attitude} → {self.target_attitude}"


class PlanAction(models.Model):
    """A step of the action plan; its execution is an activity in the KAM's schedule."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "activity"], name="accountplan_activity_once"),
        ]

    def __str__(self) -> str:
        return self.title


class Decision(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class PlanVersion(models.Model):
    """The plan's content frozen at a submission, and what the review decided about it."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="accountplan_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"
