from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kam.core import choices


class Segment(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    PUBLIC = "public", _("Public sector")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientQuerySet(models.QuerySet["Client"]):
    def active(self) -> "ClientQuerySet":
        return self.filter(status=ClientStatus.ACTIVE)

    def search(self, term: str) -> "ClientQuerySet":
        term = term.strip()
        if not term:
            return self
        if term.isdigit():
            return self.filter(tax_number__startswith=term)
        return self.filter(Q(search_name__contains=term.upper()))


# kam.core.cache.generation(): changes whenever a client is saved or deleted (kam/clients/apps.py).
CLIENTS_GENERATION = "clients"


class Client(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120)
    # Upper-cased copy of both names: a case-insensitive search that works alike on SQLite and PostgreSQL.
    search_name = models.CharField(max_length=430, editable=False, db_index=True)
    country = models.CharField(_("country"), max_length=2, default="RU")
    tax_number = models.CharField(_("tax number (INN)"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True, db_index=True)
    segment = models.CharField(
        _("segment"), max_length=12, choices=Segment.choices, default=Segment.MEDIUM, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ClientStatus.choices, default=ClientStatus.ACTIVE, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("KAM"),
        on_delete=models.PROTECT,
        related_name="owned_clients",
    )
    department = models.ForeignKey(
        "access.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
    )
    price_column = models.PositiveSmallIntegerField(
        _("price-list column"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms, days"), default=30, validators=[MaxValueValidator(365)]
    )
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="clients")
    # Dossier: what to know before any meeting.
    history = models.TextField(_("history"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    plans = models.TextField(_("plans"), blank=True)
    decision_process = models.TextField(_("decision process"), blank=True)
    category_budget = models.DecimalField(
        _("annual budget for our category"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    # Key-client definitions 3–6 are marked by people.
    is_reference = models.BooleanField(_("well-known reference client"), default=False)
    is_partner = models.BooleanField(_("partner (shares plans)"), default=False)
    is_competent = models.BooleanField(_("more-competent client"), default=False)
    is_innovator = models.BooleanField(_("innovator"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["short_name", "id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "tax_number"], condition=~Q(tax_number=""), name="client_tax_number_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "short_name"]),
            models.Index(fields=["department", "short_name"]),
            models.Index(fields=["tax_number"]),
            models.Index(Upper("short_name"), name="client_short_name_upper"),
            # A department's clients read from the index alone (PostgreSQL index-only scans): the
            # regions of the list's filter and the ids of a head's visible clients in subqueries.
            models.Index(fields=["department", "region", "id"], name="client_department_region_id"),
            # A head's "active clients" count on the Today page, from the index alone.
            models.Index(fields=["department", "status"], name="client_department_status"),
            # A KAM's clients by owner (and status) with their ids in the index: the visible-clients
            # subquery of every KAM page reads the index alone, not 450 scattered table pages.
            models.Index(fields=["owner", "status", "id"], name="client_owner_status_id"),
        ]

    def __str__(self) -> str:
        return self.short_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = f"{self.short_name} {self.legal_name}".upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        from .validators import normalise_tax_number

        try:
            self.tax_number = normalise_tax_number(self.country, self.tax_number)
        except ValidationError as error:
            raise ValidationError({"tax_number": error.messages}) from None
        if self.tax_number:
            taken = Client.objects.filter(country=self.country, tax_number=self.tax_number).exclude(
                pk=self.pk
            )
            if taken.exists():
                # Says nothing about the other client: it may belong to someone this user may not see.
                raise ValidationError(
                    {
                        "tax_number": _(
                            "A client with this tax number is already registered. "
                            "Ask your head for access to it."
                        )
                    }
                )

    # Faster than Django's (kam.core.choices.label): the client lists call these for every row.
    def get_segment_display(self) -> str:  # type: ignore[no-redef]  # overrides the generated one
        return choices.label(Segment, self.segment)

    def get_status_display(self) -> str:  # type: ignore[no-redef]  # overrides the generated one
        return choices.label(ClientStatus, self.status)


class TeamMember(models.Model):
    """A colleague on a client's account team sees the client like its KAM."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_teams")
    role = models.CharField(_("role on the team"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "user"], name="team_member_unique")]
        indexes = [models.Index(fields=["user", "client"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.client}"


class FinancialIndicator(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="financials")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    revenue = models.DecimalField(_("revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    profit = models.DecimalField(_("profit"), max_digits=18, decimal_places=2, null=True, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["client", "year"], name="financials_one_per_year")]

    def __str__(self) -> str:
        return f"{self.client} {self.year}"


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    VIP = "vip", _("VIP")
    KOL = "kol", _("Key opinion leader")


class Attitude(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class Stakeholder(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="stakeholders")
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    decision_role = models.CharField(
        _("role in the decision"), max_length=20, choices=DecisionRole.choices, default=DecisionRole.USER
    )
    influence = models.PositiveSmallIntegerField(
        _("influence (1–5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    attitude = models.CharField(
        _("attitude to us"), max_length=12, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    private_notes = models.TextField(_("private notes"), blank=True)  # sensitive
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-influence", "full_name"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        constraints = [
            models.CheckConstraint(
                condition=Q(influence__gte=1) & Q(influence__lte=5), name="stakeholder_influence_1_5"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class RelationKind(models.TextChoices):
    REPORTS_TO = "reports_to", _("reports to")
    INFLUENCES = "influences", _("influences")
    ALLIED = "allied", _("allied with")
    RIVAL = "rival", _("rival of")


class Relationship(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="relationships")
    source = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(_("relation"), max_length=12, choices=RelationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="relationship_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relationship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientCompetitor(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="competitors")
    competitor = models.ForeignKey(Competitor, on_delete=models.PROTECT, related_name="presences")
    supplies = models.CharField(_("supplies"), max_length=300, blank=True)
    estimated_share = models.DecimalField(
        _("estimated share, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    price_level = models.CharField(_("price vs ours"), max_length=100, blank=True)

    class Meta:
        ordering = ["-estimated_share"]
        constraints = [
            models.UniqueConstraint(fields=["client", "competitor"], name="client_competitor_unique"),
            models.CheckConstraint(
                condition=Q(estimated_share__gte=0) & Q(estimated_share__lte=100),
                name="client_competitor_share_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor} at {self.client}"
