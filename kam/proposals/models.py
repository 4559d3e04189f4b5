"""Commercial proposals (SPEC 3.7): templates, proposals with numbered versions, their lines and history.

A proposal has a number (КП-2026-0001) and versions 1, 2, 3…; only the newest version of a draft can be
changed. Sending locks the version; changing a sent (or expired) proposal makes a new version from the
newest one, so what the client received stays as it was. Prices come from the price list the way orders
take them (`kam.orders.services.column_price` / `line_price`); money is Decimal.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.orders.models import PRICE_COLUMNS, percent_below

NUMBER_PREFIX = "КП"  # a document number, the same in every language


class ProposalTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    intro = models.TextField(_("introduction"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=300, blank=True)
    delivery_terms = models.CharField(_("delivery terms"), max_length=300, blank=True)
    validity_days = models.PositiveSmallIntegerField(
        _("valid for, days"), default=14, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("proposal template")
        verbose_name_plural = _("proposal templates")

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


OPEN_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.SENT)


class Proposal(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="proposals"
    )
    kam = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("KAM"), on_delete=models.PROTECT, related_name="proposals"
    )
    template = models.ForeignKey(
        ProposalTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.DRAFT,
        db_index=True,
    )
    # The newest version, copied here so the list needs no join.
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    total = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal(0))
    valid_until = models.DateField(_("valid until"))
    reject_reason = models.TextField(_("reason of rejection"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("commercial proposal")
        verbose_name_plural = _("commercial proposals")
        constraints = [models.UniqueConstraint(fields=["year", "seq"], name="proposals_year_seq")]
        indexes = [models.Index(fields=["client", "status"], name="proposals_client_status")]

    def __str__(self) -> str:
        return self.number


class ProposalVersion(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    column = models.PositiveSmallIntegerField(
        _("price-list column"), validators=[MinValueValidator(1), MaxValueValidator(PRICE_COLUMNS)]
    )
    intro = models.TextField(_("introduction"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=300, blank=True)
    delivery_terms = models.CharField(_("delivery terms"), max_length=300, blank=True)
    valid_until = models.DateField(_("valid until"))
    total = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal(0))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["proposal_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="proposals_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} v{self.number}"

    @property
    def locked(self) -> bool:
        """A version that went to the client is never changed."""
        return self.sent_at is not None


class ProposalLine(models.Model):
    version = models.ForeignKey(ProposalVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    product = models.ForeignKey(
        "orders.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
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
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("99.99"))],
    )
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.position}"

    @property
    def below_client_column(self) -> Decimal:
        return percent_below(self.client_price, self.price)


class ProposalEvent(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    version = models.PositiveSmallIntegerField()
    from_status = models.CharField(max_length=10, choices=ProposalStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ProposalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.from_status} → {self.to_status}"


class Letterhead(models.Model):
    """Our company as the proposals' letterhead shows it (one row, kept by the director or a head)."""

    company_name = models.CharField(_("company name"), max_length=300, default="ООО «Компания»")
    details = models.TextField(
        _("requisites"), blank=True, help_text=_("INN, KPP, address, bank details — one per line.")
    )
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.CharField(_("email"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("letterhead")

    def __str__(self) -> str:
        return self.company_name

    @classmethod
    def current(cls) -> Letterhead:
        found, _created = cls.objects.get_or_create(pk=1)
        return found
