from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kam.activities.tests.helpers import plan
from kam.contracts.models import ReminderSent
from kam.core import briefs

from .helpers import claim, clause, contract


def test_the_brief_lists_obligations_due_and_open_claims(company):
    today = timezone.localdate()
    c = contract(company.alice, company.alice_client, number="A-1")
    clause(company.alice, c, due_on=today + timedelta(days=14), text="Deliver samples")
    clause(company.alice, c, due_on=today + timedelta(days=15), text="Far away duty")
    clause(company.alice, c, due_on=today - timedelta(days=2), text="Late report", obligation_of="client")
    claim(company.alice, company.alice_client, subject="Broken pallets")
    sections = {s["name"]: s for s in briefs.sections_for(company.alice_client, company.alice)}
    assert [o.text for o in sections["contracts"]["obligations"]] == ["Late report", "Deliver samples"]
    assert [c.subject for c in sections["claims"]["claims"]] == ["Broken pallets"]
    assert "contracts" not in {s["name"] for s in briefs.sections_for(company.alice_client, company.sam)}


def test_the_brief_page_replaces_the_placeholders(company, login):
    c = contract(company.alice, company.alice_client, number="A-1")
    clause(company.alice, c, due_on=timezone.localdate(), text="Deliver samples")
    claim(company.alice, company.alice_client, subject="Broken pallets")
    activity = plan(company.alice, company.alice_client)
    body = login(company.alice).get(reverse("activities:brief", args=[activity.pk])).content.decode()
    assert "Deliver samples" in body and "Broken pallets" in body
    assert "Claims are not recorded in kam yet." not in body
    assert 'id="brief-contracts"' in body
    missing = body.split('class="brief-missing"')[1:]
    assert not any("Contract obligations due" in part.split("</section>")[0] for part in missing)


def test_the_reminder_command_mails_the_owner_once_a_day(company):
    company.alice.email = "alice@example.com"
    company.alice.save()
    company.carol.email = "carol@example.com"
    company.carol.save()
    today = timezone.localdate()
    c = contract(company.alice, company.alice_client, number="A-1", days_left=20, auto_renewal=True)
    clause(company.alice, c, due_on=today - timedelta(days=1), text="Send the report")
    contract(company.carol, company.carol_client, number="C-1", days_left=300)  # nothing due for carol
    call_command("contract_reminders")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "A-1" in message.body and "OVERDUE" in message.body and "Send the report" in message.body
    call_command("contract_reminders")
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.filter(user=company.alice, sent_on=today).count() == 1
    call_command("contract_reminders", date=(today + timedelta(days=1)).isoformat())
    assert len(mail.outbox) == 2
