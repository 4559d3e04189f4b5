"""Promotions and bonus programmes (SPEC 3.7): the rules, the period and the clients taking part.

Who takes part is an explicit list of clients (`Participant`); the segment, ABC class and department on the
programme describe whom it is meant for and are used to add matching clients in bulk.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Segment


class PromotionKind(models.TextChoices):
    DISCOUNT = "discount", _("Discount promotion")
    VOLUME_BONUS = "volume_bonus", _("Volume bonus")
    RETRO_BONUS = "retro_bonus", _("Retro-bonus")
    GIFT = "gift", _("Gift or free goods")
    OTHER = "other", _("Other programme")


class PromotionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Promotion(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PromotionKind.choices, default=PromotionKind.DISCOUNT
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PromotionStatus.choices,
        default=PromotionStatus.DRAFT,
        db_index=True,
    )
    rules_text = models.TextField(_("rules"), blank=True)
    discount_pct = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    volume_threshold = models.DecimalField(
        _("volume threshold, RUB"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    bonus_pct = models.DecimalField(
        _("bonus, %"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # Whom the programme is meant for; empty = any. A head's programme belongs to their department.
    department = models.ForeignKey(
        "access.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promotions",
    )
    segment = models.CharField(_("for segment"), max_length=12, choices=Segment.choices, blank=True)
    abc_class = models.CharField(_("for ABC class"), max_length=1, choices=AbcClass.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    clients = models.ManyToManyField(
        "clients.Client", through="Participant", related_name="promotions", verbose_name=_("participants")
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        indexes = [
            models.Index(fields=["starts_on", "ends_on"]),
            models.Index(fields=["department", "status"]),
        ]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="participants")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="promotion_participations"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["promotion", "client"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "client"], name="promotion_participant_once")
        ]
        indexes = [models.Index(fields=["client", "promotion"])]

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.client_id}"
