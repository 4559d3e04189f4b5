"""A segment is the client's `segment` field (kam.clients.models.Segment); the only table here holds the
KAMs' proposals for the assortment and prices in a segment, which the head accepts or declines."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.clients.models import Segment


class ProposalStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("proposal status", "Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class SegmentProposal(models.Model):
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("proposal"), max_length=200)
    text = models.TextField(_("reasoning"), blank=True)
    products = models.TextField(_("products to add, drop or reprice"), blank=True)
    price_change_pct = models.DecimalField(
        _("price change, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("segment proposal")
        verbose_name_plural = _("segment proposals")
        indexes = [models.Index(fields=["segment", "status", "created_at"])]

    def __str__(self) -> str:
        return self.title
