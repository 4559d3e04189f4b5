"""Sales opportunities moving through the stages of a deal, their stage history and client groups."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.clients.models import Client, Competitor


class Stage(models.TextChoices):
    RESEARCH = "research", _("Research")
    CONTACT = "contact", _("Contact")
    PROPOSAL = "proposal", _("Proposal")
    MEETING = "meeting", _("Meeting")
    AGREEMENT = "agreement", _("Agreement")
    CONTRACT = "contract", _("Contract")
    DELIVERY = "delivery", _("Delivery")
    FEEDBACK = "feedback", _("Feedback")


STAGE_ORDER: list[str] = [s.value for s in Stage]
# The probability (percent) an opportunity takes when it enters a stage; the KAM may change it.
DEFAULT_PROBABILITY: dict[str, int] = {
    Stage.RESEARCH: 5,
    Stage.CONTACT: 10,
    Stage.PROPOSAL: 25,
    Stage.MEETING: 40,
    Stage.AGREEMENT: 60,
    Stage.CONTRACT: 80,
    Stage.DELIVERY: 95,
    Stage.FEEDBACK: 100,
}


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity status", "Open")
    WON = "won", pgettext_lazy("opportunity status", "Won")
    LOST = "lost", pgettext_lazy("opportunity status", "Lost")


class Kind(models.TextChoices):
    NEW_PRODUCT = "new_product", _("New product")
    NEW_SITE = "new_site", _("New site")
    TENDER = "tender", _("Tender")
    RENEWAL = "renewal", _("Renewal")


class Opportunity(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="opportunities", verbose_name=_("client")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("KAM"),
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NEW_PRODUCT)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.RESEARCH)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    amount = models.DecimalField(
        _("amount, RUB"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    probability = models.PositiveSmallIntegerField(
        _("probability, %"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_on = models.DateField(_("expected close date"))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    competitors = models.ManyToManyField(
        Competitor, blank=True, related_name="opportunities", verbose_name=_("competitors involved")
    )
    lost_reason = models.TextField(_("lost reason"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expected_on", "pk"]
        indexes = [models.Index(fields=["status", "stage"]), models.Index(fields=["owner", "expected_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0) & models.Q(probability__lte=100),
                name="pipeline_probability_0_100",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="pipeline_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted(self) -> Decimal:
        return self.amount * self.probability / 100

    def clean(self) -> None:
        if self.status == Status.LOST and not self.lost_reason.strip():
            raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})
        if self.next_step_on and not self.next_step.strip():
            raise ValidationError({"next_step": _("Name the next step for that date.")})


class StageChange(models.Model):
    """One row per move (and one for the creation, with an empty from_stage)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_stage or '∅'} → {self.to_stage} ({self.status})"


class LinkKind(models.TextChoices):
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    BRANCH = "branch", _("Branch")
    DISTRIBUTOR = "distributor_of", _("Distributor of")


class ClientLink(models.Model):
    """parent → child: a subsidiary or branch of the parent, or an end client served by a distributor."""

    parent = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="child_links")
    child = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="parent_links")
    kind = models.CharField(_("link"), max_length=20, choices=LinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A client belongs to at most one parent company; a distributor link is not ownership.
            models.UniqueConstraint(
                fields=["child"],
                condition=~models.Q(kind="distributor_of"),
                name="pipeline_one_owner_per_client",
            ),
            models.UniqueConstraint(fields=["parent", "child"], name="pipeline_link_once"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("child")), name="pipeline_no_self_link"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id} ({self.kind})"
