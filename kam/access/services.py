"""Writes on people, deputies and API tokens."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, Deputy, Role, User


@transaction.atomic
def deputy_create(
    *, actor: User, absent: User, deputy: User, starts_on: date, ends_on: date, reason: str = ""
) -> Deputy:
    if absent.role != Role.KAM:
        raise ValidationError({"absent": _("Only a KAM's absence is covered by a deputy.")})
    if deputy.role not in (Role.KAM, Role.HEAD) or not deputy.is_active:
        raise ValidationError({"deputy": _("The deputy must be an active KAM or head.")})
    if actor.role == Role.HEAD and (absent.department_id != actor.department_id):
        raise ValidationError({"absent": _("You can name deputies only for your own department's KAMs.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date is before the start date.")})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("This absence is already over.")})
    overlapping = Deputy.objects.filter(absent=absent, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise ValidationError(_("%(kam)s already has a deputy for part of these dates.") % {"kam": absent})
    entry = Deputy(
        absent=absent, deputy=deputy, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor
    )
    entry.full_clean()
    entry.save()
    return entry


def deputy_end(*, entry: Deputy) -> Deputy:
    """End a deputyship today (or remove it if it starts today or later: ending it yesterday is not
    possible, and ending it today would leave the rights in place until midnight)."""
    today = timezone.localdate()
    if entry.starts_on >= today:
        entry.delete()
        return entry
    entry.ends_on = max(entry.starts_on, today - timedelta(days=1))
    entry.save(update_fields=["ends_on"])
    return entry


def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the program that will use it.")})
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= 10:
        raise ValidationError(_("You have 10 active tokens already; revoke one first."))
    return ApiToken.issue(user, name[:100])


def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
