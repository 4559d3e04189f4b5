"""Contracts with clauses (obligations of either side); claims, complaints and conflicts (SPEC 3.7)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class Contract(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(_("number"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    auto_renewal = models.BooleanField(_("auto-renewal"), default=False)
    renewal_notice_days = models.PositiveIntegerField(_("renewal notice, days"), default=30)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("KAM"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ends_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "number"], name="contract_number_unique_per_client"),
        ]
        indexes = [models.Index(fields=["status", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The contract cannot end before it starts.")
        if self.client_id and self.number:
            same = Contract.objects.filter(client_id=self.client_id, number__iexact=self.number.strip())
            if same.exclude(pk=self.pk).exists():
                errors["number"] = _("This client already has a contract with number %(number)s.") % {
                    "number": self.number
                }
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # clean() says it in words the user understands; the constraint stays as the database's guard.
        return None

    @property
    def renewal_due_from(self) -> date:
        return self.ends_on - timedelta(days=self.renewal_notice_days)


class Party(models.TextChoices):
    US = "us", _("Us")
    CLIENT = "client", _("Client")


class Clause(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="clauses")
    text = models.TextField(_("clause"))
    obligation_of = models.CharField(
        _("obligation of"), max_length=8, choices=Party.choices, default=Party.US
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contract_clauses",
        verbose_name=_("responsible"),
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"])]

    def __str__(self) -> str:
        return self.text[:60]


class ClaimKind(models.TextChoices):
    CLAIM = "claim", _("Claim")
    COMPLAINT = "complaint", _("Complaint")
    CONFLICT = "conflict", _("Conflict")


class ClaimStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("claim status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")


OPEN_CLAIM_STATUSES = (ClaimStatus.OPEN, ClaimStatus.IN_PROGRESS)


class Claim(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(_("kind"), max_length=12, choices=ClaimKind.choices, default=ClaimKind.CLAIM)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    registered_on = models.DateField(_("registered on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("assigned to"),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if self.deadline and self.registered_on and self.deadline < self.registered_on:
            raise ValidationError({"deadline": _("The deadline cannot be before the claim was registered.")})
        if self.status in (ClaimStatus.RESOLVED, ClaimStatus.REJECTED) and not self.resolution.strip():
            raise ValidationError({"resolution": _("Describe the resolution before closing the claim.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM_STATUSES


class ReminderSent(models.Model):
    """One reminder e-mail a day per KAM: the reminder command is idempotent per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sent_on"], name="contract_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_on}"
