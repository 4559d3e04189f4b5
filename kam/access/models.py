import hashlib
import secrets
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    KAM = "kam", _("Key account manager")
    HEAD = "head", _("Head of department")
    DIRECTOR = "director", _("Commercial director")
    SALES_SUPPORT = "support", _("Sales support")
    FINANCE = "finance", _("Finance")
    NONE = "none", _("No business role")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    head = models.ForeignKey(
        "access.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using kam. `is_staff` is the system administrator; business rights come from `role`."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.NONE, db_index=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_kam(self) -> bool:
        return self.role == Role.KAM

    @property
    def is_head(self) -> bool:
        return self.role == Role.HEAD

    @property
    def is_director(self) -> bool:
        return self.role == Role.DIRECTOR


class DeputyQuerySet(models.QuerySet["Deputy"]):
    def active(self, on: date | None = None) -> "DeputyQuerySet":
        # Active by date alone, so a deputyship starts and ends by itself with no job to run.
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Deputy(models.Model):
    """While `absent` is away, `deputy` has the absent KAM's rights on the absent KAM's clients."""

    absent = models.ForeignKey(
        User, verbose_name=_("absent KAM"), on_delete=models.CASCADE, related_name="deputised_by"
    )
    deputy = models.ForeignKey(
        User, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="deputising_for"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeputyQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="deputy_dates_ordered"
            ),
            models.CheckConstraint(condition=~Q(absent=models.F("deputy")), name="deputy_not_self"),
        ]
        indexes = [models.Index(fields=["deputy", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.deputy} for {self.absent} {self.starts_on}–{self.ends_on}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        raw = "kam_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[4:12])
        return token, raw
