"""Daily reminder e-mails to contract owners: renewals and obligations due or overdue, once a day."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kam.access.models import User

from . import selectors
from .models import Clause, Contract, ReminderSent

OBLIGATION_HORIZON_DAYS = 7


def reminder_text(user: User, today: date) -> str | None:
    """The body of `user`'s reminder for `today`, or None when there is nothing to say."""
    renewals = list(selectors.renewals_due(user, today=today).filter(owner=user))
    obligations = list(
        selectors.open_obligations(user)
        .filter(contract__owner=user, due_on__lte=today + timedelta(days=OBLIGATION_HORIZON_DAYS))
        .select_related("contract__client")
    )
    if not renewals and not obligations:
        return None
    lines = [_("Good morning, %(name)s.") % {"name": user.get_full_name() or user.username}, ""]
    if renewals:
        lines.append(_("Contracts due for renewal:"))
        lines += [_line_contract(c) for c in renewals]
        lines.append("")
    if obligations:
        lines.append(_("Contract obligations due:"))
        lines += [_line_clause(c, today) for c in obligations]
    return "\n".join(lines)


def _line_contract(c: Contract) -> str:
    auto = _(" (renews automatically)") if c.auto_renewal else ""
    return (
        f"- {c.client.short_name}: {c.number} {c.title}, "
        + _("ends %(date)s") % {"date": c.ends_on.strftime("%d.%m.%Y")}
        + auto
    )


def _line_clause(c: Clause, today: date) -> str:
    flag = _("OVERDUE") + " " if c.due_on and c.due_on < today else ""
    due = c.due_on.strftime("%d.%m.%Y") if c.due_on else ""
    return f"- {flag}{due} {c.contract.client.short_name}, {c.contract.number}: {c.text[:200]}"


def send_reminders(today: date) -> int:
    """Send today's reminders; a KAM already reminded today is skipped. Returns the number of e-mails sent."""
    owners = User.objects.filter(is_active=True, pk__in=Contract.objects.values("owner_id")).exclude(
        pk__in=ReminderSent.objects.filter(sent_on=today).values("user_id")
    )
    sent = 0
    for user in owners.order_by("pk"):
        if not user.email:
            continue
        body = reminder_text(user, today)
        if body is None:
            continue
        try:
            with transaction.atomic():
                ReminderSent.objects.create(user=user, sent_on=today)
                send_mail(
                    _("kam: contract renewals and obligations for %(date)s")
                    % {"date": today.strftime("%d.%m.%Y")},
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                )
        except IntegrityError:
            continue  # another run reminded this KAM a moment ago
        sent += 1
    return sent
