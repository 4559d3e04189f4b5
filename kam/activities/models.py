import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.access.models import hash_token


class Kind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EVENT = "event", _("Event")
    PRESENTATION = "presentation", _("Presentation")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The seven mistakes with key clients (domain article): ticked before and after a meeting.
CHECKLIST = [
    ("on_time", _("On time — never late")),
    ("no_disputes", _("No disputes — objections handled, not argued")),
    ("no_interrupting", _("Did not interrupt the client")),
    ("information_collected", _("Information about the client collected")),
    ("prepared_offers", _("Prepared for the negotiation, offers ready")),
    ("manners", _("Good manners and etiquette")),
    ("product_knowledge", _("Knows the product in depth")),
]
CHECKLIST_KEYS = [key for key, _label in CHECKLIST]


class Activity(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.VISIT, db_index=True)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="activities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("KAM"), on_delete=models.PROTECT, related_name="activities"
    )
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        blank=True,
        related_name="participating_activities",
    )
    stakeholders = models.ManyToManyField(
        "clients.Stakeholder", verbose_name=_("client's people"), blank=True, related_name="activities"
    )
    goal = models.TextField(_("goal"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    follows = models.ForeignKey(
        "self", verbose_name=_("follows"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # iCalendar: the UID never changes; SEQUENCE grows with every change.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    checklist = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_start", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=models.F("planned_start")), name="activity_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "planned_start"]),
            models.Index(fields=["client", "planned_start"]),
            models.Index(fields=["status", "planned_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.client} · {self.planned_start:%Y-%m-%d %H:%M}"

    @property
    def delay(self) -> timedelta | None:
        """actual − planned start, or None when the start was not recorded."""
        if self.actual_start is None:
            return None
        return self.actual_start - self.planned_start

    @property
    def is_late(self) -> bool:
        from .conf import tolerance

        delay = self.delay
        return delay is not None and delay > tolerance()

    @property
    def delay_minutes(self) -> int | None:
        delay = self.delay
        return None if delay is None else int(delay.total_seconds() // 60)


class WeeklyPlan(models.Model):
    """How many visits and calls a KAM plans for one ISO week (job description 2.2)."""

    kam = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_plans")
    week_start = models.DateField(_("week (Monday)"))
    visits = models.PositiveSmallIntegerField(
        _("visits planned"), default=0, validators=[MaxValueValidator(200)]
    )
    calls = models.PositiveSmallIntegerField(
        _("calls planned"), default=0, validators=[MaxValueValidator(500)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["kam", "week_start"], name="weekly_plan_once")]

    def __str__(self) -> str:
        return f"{self.kam} {self.week_start}"


class CalendarFeedToken(models.Model):
    """A secret URL for a phone's calendar; only the hash is kept, revoking it stops the feed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @staticmethod
    def hash(raw: str) -> str:
        return hash_token(raw)


class Feedback(models.Model):
    """The client's satisfaction after a delivery or a project."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"))
    about = models.CharField(_("delivery or project"), max_length=200)
    score = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="feedback_score_1_5")
        ]
        indexes = [models.Index(fields=["client", "received_on"])]

    def __str__(self) -> str:
        return f"{self.client} {self.received_on} {self.score}"
