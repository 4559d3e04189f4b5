"""Tenders (SPEC 3.7): a buyer's tender with its lots and their specifications, our bid, the result.

The bid deadline is an aware datetime; it is entered in the tender's own zone (Europe/Moscow unless set
otherwise, as the public platforms publish it) and shown in each user's zone as well.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Platform(models.TextChoices):
    FZ44 = "44fz", _("44-FZ (public)")
    FZ223 = "223fz", _("223-FZ (state companies)")
    COMMERCIAL = "commercial", _("Commercial")


class TenderStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    SUBMITTED = "submitted", _("Submitted")
    WON = "won", pgettext_lazy("tender status", "Won")
    LOST = "lost", pgettext_lazy("tender status", "Lost")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (TenderStatus.PREPARING, TenderStatus.SUBMITTED)
CLOSED_STATUSES = (TenderStatus.WON, TenderStatus.LOST)

# Where a tender may go from each status. A result can be corrected (back to submitted); a cancelled
# tender can be taken up again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TenderStatus.PREPARING: (TenderStatus.SUBMITTED, TenderStatus.CANCELLED),
    TenderStatus.SUBMITTED: (
        TenderStatus.WON,
        TenderStatus.LOST,
        TenderStatus.CANCELLED,
        TenderStatus.PREPARING,
    ),
    TenderStatus.WON: (TenderStatus.SUBMITTED,),
    TenderStatus.LOST: (TenderStatus.SUBMITTED,),
    TenderStatus.CANCELLED: (TenderStatus.PREPARING,),
}


def validate_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise ValidationError(_("Unknown time zone %(zone)s.") % {"zone": value}) from None


def zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if z.startswith(("Europe/", "Asia/")))
    return [(z, z) for z in zones]


class Tender(models.Model):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="tenders", verbose_name=_("customer")
    )
    platform = models.CharField(_("platform"), max_length=12, choices=Platform.choices, default=Platform.FZ44)
    number = models.CharField(_("notice number"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    deadline = models.DateTimeField(_("bid deadline"), db_index=True)
    time_zone = models.CharField(
        _("deadline time zone"), max_length=64, default="Europe/Moscow", validators=[validate_zone]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TenderStatus.choices, default=TenderStatus.PREPARING
    )
    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tenders",
        verbose_name=_("responsible KAM"),
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tenders",
        verbose_name=_("opportunity"),
    )
    url = models.URLField(_("link to the notice"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    result_note = models.TextField(_("result comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"])]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.deadline and self.published_on:
            local = self.deadline.astimezone(self.zone).date()
            if local < self.published_on:
                errors["deadline"] = _("The bid deadline cannot be before the publication date.")
        if self.opportunity is not None and self.client_id and self.opportunity.client_id != self.client_id:
            errors["opportunity"] = _("The opportunity belongs to another client.")
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
            return ZoneInfo(settings.TIME_ZONE)

    @property
    def deadline_in_zone(self) -> Any:
        return self.deadline.astimezone(self.zone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class LotResult(models.TextChoices):
    NONE = "", _("Not known yet")
    WON = "won", pgettext_lazy("lot result", "Won")
    LOST = "lost", pgettext_lazy("lot result", "Lost")


class Lot(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField(_("lot number"), default=1)
    subject = models.CharField(_("subject"), max_length=300)
    initial_price = models.DecimalField(_("initial (maximum) price"), **MONEY)  # type: ignore[arg-type]
    bid_amount = models.DecimalField(
        _("our bid"),
        null=True,
        blank=True,
        **MONEY,  # type: ignore[arg-type]
    )
    result = models.CharField(_("result"), max_length=8, choices=LotResult.choices, blank=True, default="")
    winner = models.ForeignKey(
        "clients.Competitor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tender_lots_won",
        verbose_name=_("winner (competitor)"),
    )
    winner_name = models.CharField(_("winner (name)"), max_length=200, blank=True)
    winning_price = models.DecimalField(
        _("winning price"),
        null=True,
        blank=True,
        **MONEY,  # type: ignore[arg-type]
    )
    reasons = models.TextField(_("reasons for the result"), blank=True)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="tender_lot_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.subject}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.bid_amount is not None
            and self.initial_price is not None
            and self.bid_amount > self.initial_price
        ):
            errors["bid_amount"] = _("Our bid cannot exceed the initial (maximum) price.")
        if self.result == LotResult.LOST:
            if not self.winner_id and not self.winner_name.strip():
                errors["winner"] = _("Name the winner of a lost lot (a competitor or a name).")
            if not self.reasons.strip():
                errors["reasons"] = _("Give the reasons why the lot was lost.")
        if self.result == LotResult.WON and (self.winner_id or self.winner_name.strip()):
            errors["winner"] = _("A lot we won has no other winner.")
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Any = None) -> None:
        if (
            self.tender_id
            and Lot.objects.filter(tender_id=self.tender_id, number=self.number).exclude(pk=self.pk).exists()
        ):
            raise ValidationError({"number": _("This tender already has lot %(n)s.") % {"n": self.number}})

    @property
    def winner_display(self) -> str:
        if self.result == LotResult.WON:
            return str(_("Us"))
        return str(self.winner) if self.winner_id else self.winner_name


class LotItem(models.Model):
    """One line of a lot's specification."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("item"), max_length=300)
    product = models.ForeignKey(
        "orders.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tender_items",
        verbose_name=_("our product"),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=15, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(_("unit"), max_length=20, default="pcs")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class TenderFeedToken(models.Model):
    """A secret link to the user's tender-deadline calendar (iCalendar); only its hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
