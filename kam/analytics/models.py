from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.money import to_kopecks

from .engine import AnalysisSettings


def share_field(label: Any, default: str) -> "models.DecimalField[Decimal, Decimal]":
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=4,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )


class Basis(models.TextChoices):
    INCOME = "income", _("Income (revenue − cost)")
    TURNOVER = "turnover", _("Turnover (revenue)")


class AnalysisConfig(models.Model):
    """The company's thresholds and periods for the key-account analysis; one row, changed by the director."""

    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.INCOME)
    period_months = models.PositiveSmallIntegerField(
        _("period, months"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    key_share = share_field(_("key client share"), "0.10")
    critical_share = share_field(_("critical dependence share"), "0.20")
    mono_share = share_field(_("mono-client share"), "0.70")
    abc_a = share_field(_("A class up to (cumulative)"), "0.80")
    abc_b = share_field(_("B class up to (cumulative)"), "0.95")
    xyz_x = models.DecimalField(
        _("X class up to (coefficient of variation)"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.25"),
        validators=[MinValueValidator(Decimal(0))],
    )
    xyz_y = models.DecimalField(
        _("Y class up to (coefficient of variation)"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal(0))],
    )
    absolute_threshold = models.DecimalField(
        _("absolute threshold, RUB a year"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("A client with at least this basis a year is key whatever its share. Empty: off."),
    )
    horizon_years = models.PositiveSmallIntegerField(
        _("NPV horizon, years"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    discount_rate = models.DecimalField(
        _("discount rate"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.15"),
        validators=[MinValueValidator(Decimal(0))],
    )
    potential_wallet_threshold = models.DecimalField(
        _("key by potential: wallet left from, RUB"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("3000000"),
    )
    potential_npv_threshold = models.DecimalField(
        _("key by potential: NPV of margin from, RUB"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("10000000"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("analysis settings")

    def __str__(self) -> str:
        return "analysis settings"

    @classmethod
    def current(cls) -> "AnalysisConfig":
        config, _created = cls.objects.get_or_create(pk=1)
        return config

    def to_settings(self) -> AnalysisSettings:
        def kop(value: Decimal | None) -> int | None:
            return None if value is None else to_kopecks(value)

        return AnalysisSettings(
            basis=self.basis,  # type: ignore[arg-type]
            key_share=self.key_share,
            critical_share=self.critical_share,
            mono_share=self.mono_share,
            abc_a=self.abc_a,
            abc_b=self.abc_b,
            xyz_x=self.xyz_x,
            xyz_y=self.xyz_y,
            absolute_threshold_kop=kop(self.absolute_threshold),
            horizon_years=self.horizon_years,
            discount_rate=self.discount_rate,
            potential_wallet_threshold_kop=kop(self.potential_wallet_threshold),
            potential_npv_threshold_kop=kop(self.potential_npv_threshold),
        )

    def clean(self) -> None:
        try:
            self.to_settings()
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from None


class SnapshotStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Snapshot(models.Model):
    """One run of the analysis, kept so movement between runs can be shown."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SnapshotStatus.choices, default=SnapshotStatus.RUNNING)
    error = models.TextField(blank=True)
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    settings = models.JSONField(default=dict)
    total_basis = models.BigIntegerField(default=0)
    total_turnover = models.BigIntegerField(default=0)
    total_income = models.BigIntegerField(default=0)
    clients_count = models.PositiveIntegerField(default=0)
    key_count = models.PositiveIntegerField(default=0)
    concentration = models.JSONField(default=dict)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"analysis {self.period_start}–{self.period_end} at {self.created_at:%Y-%m-%d %H:%M}"


class SnapshotClient(models.Model):
    """A client's figures in one snapshot (money in kopecks, shares as exact fractions)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="clients")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="analysis_rows")
    rank = models.PositiveIntegerField()
    turnover = models.BigIntegerField()
    income = models.BigIntegerField()
    basis = models.BigIntegerField()
    share = models.DecimalField(max_digits=12, decimal_places=8, null=True)
    cumulative_share = models.DecimalField(max_digits=12, decimal_places=8, null=True)
    abc = models.CharField(max_length=1, db_index=True)
    xyz = models.CharField(max_length=1)
    cv = models.FloatField(null=True)  # a statistic, never compared for money
    months_with_sales = models.PositiveSmallIntegerField(default=0)
    is_key = models.BooleanField(default=False)
    is_critical = models.BooleanField(default=False)
    is_mono = models.BooleanField(default=False)
    is_key_absolute = models.BooleanField(default=False)
    is_key_potential = models.BooleanField(default=False)
    is_key_any = models.BooleanField(default=False)
    wallet_left = models.BigIntegerField(null=True)
    npv = models.BigIntegerField(default=0)
    reasons = models.JSONField(default=list)
    key_for_departments = models.JSONField(default=list)
    key_for_managers = models.JSONField(default=list)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "client"], name="snapshot_client_once")]
        indexes = [
            models.Index(fields=["snapshot", "rank"]),
            models.Index(fields=["snapshot", "is_key_any", "rank"]),
            models.Index(fields=["client", "snapshot"]),
            # Counting a department's or a KAM's key clients from the index alone (82 -> 9 ms at 100k).
            models.Index(fields=["snapshot", "is_key_any", "client"], name="snapshot_key_client"),
            # The dashboards' critical clients: a handful of rows, found without reading the snapshot
            # (13 ms -> under 1 ms at 100,000 clients).
            models.Index(
                fields=["snapshot", "rank"],
                condition=models.Q(is_critical=True),
                name="snapshot_critical_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} #{self.rank}"


class ScopeKind(models.TextChoices):
    DEPARTMENT = "department", _("department")
    MANAGER = "manager", _("manager")


class SnapshotScopeRow(models.Model):
    """A client that is key inside a department's or a manager's book."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="scope_rows")
    scope = models.CharField(max_length=10, choices=ScopeKind.choices)
    scope_id = models.BigIntegerField()
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    turnover = models.BigIntegerField()
    income = models.BigIntegerField()
    basis = models.BigIntegerField()
    scope_total_basis = models.BigIntegerField()
    share = models.DecimalField(max_digits=12, decimal_places=8, null=True)
    is_key = models.BooleanField(default=False)
    is_critical = models.BooleanField(default=False)
    is_mono = models.BooleanField(default=False)

    class Meta:
        ordering = ["scope", "scope_id", "rank"]
        indexes = [models.Index(fields=["snapshot", "scope", "scope_id", "rank"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.scope_id}: {self.client_id}"
