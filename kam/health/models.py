"""Account health: a 0–100 score per key client from data, kept as daily snapshots, with early warnings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

COMPONENTS = ("trend", "frequency", "overdue", "claims", "coverage", "meeting", "satisfaction")


def _pct(label: Any, default: int, help_text: Any = "") -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(
        label, default=default, validators=[MaxValueValidator(1000)], help_text=help_text
    )


def _weight(label: Any, default: int) -> models.PositiveSmallIntegerField[int, int]:
    return models.PositiveSmallIntegerField(label, default=default, validators=[MaxValueValidator(100)])


class HealthConfig(models.Model):
    """The company's thresholds and weights for the health score; one row (pk=1), changed by the director.

    Every component earns its full weight ("good"), half of it ("watch") or nothing ("risk"). A boundary
    value always belongs to the better level (e.g. a drop of exactly 5 % is still "good").
    """

    # Income trend: the last N complete months against the same months a year earlier.
    trend_months = models.PositiveSmallIntegerField(
        _("trend: months compared"), default=3, choices=[(3, "3"), (6, "6")]
    )
    # Income down by at most 5 % year on year: good; by at most 20 %: watch; more: risk.
    trend_ok_drop_pct = _pct(_("trend: good while income fell by at most, %"), 5)
    trend_warn_drop_pct = _pct(_("trend: watch while income fell by at most, %"), 20)
    # Months with purchases in the last N months against the client's own rate over the 12 months before:
    # at least 80 % of its usual rate: good; at least 50 %: watch.
    # xgettext:no-python-format
    frequency_ok_pct = _pct(_("order frequency: good from, % of its usual rate"), 80)
    # xgettext:no-python-format
    frequency_warn_pct = _pct(_("order frequency: watch from, % of its usual rate"), 50)
    # Overdue debt (RUB, open invoices past their due date): none is good, up to 100 000 RUB watch.
    overdue_ok_rub = models.DecimalField(
        _("overdue debt: good up to, RUB"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    overdue_warn_rub = models.DecimalField(
        _("overdue debt: watch up to, RUB"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("100000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Open claims, complaints and conflicts: none is good, one is watch, more is risk.
    claims_ok = models.PositiveSmallIntegerField(_("open claims: good up to"), default=0)
    claims_warn = models.PositiveSmallIntegerField(_("open claims: watch up to"), default=1)
    # A decision maker is covered when we were in touch within 90 days (last contact or a done activity).
    coverage_days = models.PositiveSmallIntegerField(
        _("coverage: contact within, days"), default=90, validators=[MinValueValidator(1)]
    )
    # xgettext:no-python-format
    coverage_ok_pct = _pct(_("coverage: good from, % of decision makers"), 80)
    # xgettext:no-python-format
    coverage_warn_pct = _pct(_("coverage: watch from, % of decision makers"), 50)
    # Days since the last done visit, meeting, presentation or event: up to 30 good, up to 60 watch.
    meeting_ok_days = models.PositiveSmallIntegerField(_("last meeting: good up to, days"), default=30)
    meeting_warn_days = models.PositiveSmallIntegerField(_("last meeting: watch up to, days"), default=60)
    # Average satisfaction (1–5) of the feedback received in the last 12 months: from 4 good, from 3 watch;
    # no feedback in the window is "watch" (unknown).
    satisfaction_months = models.PositiveSmallIntegerField(
        _("satisfaction: feedback of the last, months"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    satisfaction_ok = models.DecimalField(
        _("satisfaction: good from (1–5)"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("4.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    satisfaction_warn = models.DecimalField(
        _("satisfaction: watch from (1–5)"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    # Weights: the score is Σ points / Σ weights × 100, so they need not add up to 100 (by default they do).
    weight_trend = _weight(_("weight: income trend"), 25)
    weight_frequency = _weight(_("weight: order frequency"), 15)
    weight_overdue = _weight(_("weight: overdue debt"), 20)
    weight_claims = _weight(_("weight: open claims"), 10)
    weight_coverage = _weight(_("weight: decision makers covered"), 10)
    weight_meeting = _weight(_("weight: last meeting"), 10)
    weight_satisfaction = _weight(_("weight: satisfaction"), 10)
    # Bands of the score and the early warning.
    band_good = models.PositiveSmallIntegerField(
        _("band good from (score)"), default=70, validators=[MaxValueValidator(100)]
    )
    band_watch = models.PositiveSmallIntegerField(
        _("band watch from (score)"), default=50, validators=[MaxValueValidator(100)]
    )
    alert_below = models.PositiveSmallIntegerField(
        _("warn when the score falls below"), default=50, validators=[MaxValueValidator(100)]
    )
    alert_drop = models.PositiveSmallIntegerField(
        _("warn when the score drops by at least (points)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("health settings")

    def __str__(self) -> str:
        return "health settings"

    @classmethod
    def current(cls) -> HealthConfig:
        config, _created = cls.objects.get_or_create(pk=1)
        return config

    def weights(self) -> dict[str, int]:
        return {name: int(getattr(self, f"weight_{name}")) for name in COMPONENTS}

    def clean(self) -> None:
        errors: dict[str, object] = {}
        pairs = [
            ("trend_ok_drop_pct", "trend_warn_drop_pct", "lower"),
            ("frequency_ok_pct", "frequency_warn_pct", "higher"),
            ("overdue_ok_rub", "overdue_warn_rub", "lower"),
            ("claims_ok", "claims_warn", "lower"),
            ("coverage_ok_pct", "coverage_warn_pct", "higher"),
            ("meeting_ok_days", "meeting_warn_days", "lower"),
            ("satisfaction_ok", "satisfaction_warn", "higher"),
            ("band_good", "band_watch", "higher"),
        ]
        for ok, warn, better in pairs:
            a, b = getattr(self, ok), getattr(self, warn)
            if a is None or b is None:
                continue
            if better == "lower" and a > b:
                errors[warn] = _("The watch limit cannot be below the good limit.")
            if better == "higher" and a < b:
                errors[warn] = _("The watch limit cannot be above the good limit.")
        if sum(self.weights().values()) <= 0:
            errors["weight_trend"] = _("At least one weight must be above zero.")
        if errors:
            raise ValidationError(errors)


class Band(models.TextChoices):
    GOOD = "good", _("Good")
    WATCH = "watch", _("Watch")
    RISK = "risk", _("At risk")


class HealthSnapshot(models.Model):
    """A client's score on one day with each component's value, points and weight (JSON)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="health_snapshots")
    day = models.DateField(_("date"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(100)])
    band = models.CharField(_("band"), max_length=8, choices=Band.choices)
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, blank=True)
    is_key = models.BooleanField(_("key client"), default=False)
    # The newest snapshot of the client (one per client): lists read only these rows.
    is_latest = models.BooleanField(default=False)
    components = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "client_id"]
        verbose_name = _("health snapshot")
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="health_snapshot_once_a_day"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="health_score_0_100"),
        ]
        indexes = [
            models.Index(fields=["is_latest", "score"], name="health_latest_score"),
            models.Index(fields=["client", "day"], name="health_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day} {self.score}"

    @property
    def change(self) -> int | None:
        return None if self.previous_score is None else self.score - self.previous_score


class AlertKind(models.TextChoices):
    BELOW = "below", _("Fell below the threshold")
    DROP = "drop", _("Dropped sharply")


class HealthAlert(models.Model):
    """An early warning raised by a computation: a key client's score fell below the limit or dropped."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="health_alerts")
    day = models.DateField(_("date"))
    kind = models.CharField(_("warning"), max_length=8, choices=AlertKind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "day", "kind"], name="health_alert_once_a_day"),
        ]
        # In the order lists show them (newest day, worst score first): a dashboard reads its first
        # rows from the index alone instead of sorting a month of alerts (12.5 -> 0.3 ms at 100k clients).
        indexes = [models.Index(fields=["-day", "score", "id"], name="health_alert_worst_first")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day} {self.kind}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class HealthRun(models.Model):
    """One computation started from the page (progress shown while it runs in the background)."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField(_("date"))
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"health run {self.day} {self.status}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
