"""Every change of business data reaches the audit trail (SPEC section 2): who, when, what."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone

from kam.core.testing import Company


def _start() -> datetime:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))


def _account_plan(c: Company) -> models.Model:
    from kam.accountplans import services

    plan = services.plan_create(actor=c.alice, client=c.alice_client, year=timezone.localdate().year)
    return services.swot_add(actor=c.alice, plan=plan, kind="strength", text="Long history")


def _activity(c: Company) -> models.Model:
    from kam.activities import services

    start = _start()
    activity = services.activity_create(
        user=c.alice,
        client=c.alice_client,
        kind="visit",
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    return activity


def _weekly_plan(c: Company) -> models.Model:
    from kam.activities import services

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    return services.weekly_plan_set(user=c.alice, kam=c.alice, week_start=monday, visits=4, calls=10)


def _contract(c: Company) -> models.Model:
    from kam.contracts import services

    today = timezone.localdate()
    data = {"number": "C-1", "title": "Supply", "starts_on": today, "ends_on": today + timedelta(days=365)}
    return services.contract_create(user=c.alice, client=c.alice_client, data=data)


def _tender(c: Company) -> models.Model:
    from kam.tenders import services

    data = {"platform": "commercial", "title": "Pumps", "deadline": _start() + timedelta(days=10)}
    return services.tender_create(user=c.alice, client=c.alice_client, data=data)


def _promotion(c: Company) -> models.Model:
    from kam.promotions import services

    today = timezone.localdate()
    data = {"name": "Spring", "kind": "discount", "starts_on": today, "ends_on": today + timedelta(days=30)}
    return services.promotion_create(actor=c.diana, data=data)


def _segment_proposal(c: Company) -> models.Model:
    from kam.segments import services
    from kam.segments.models import SegmentProposal

    segment = SegmentProposal._meta.get_field("segment").choices[0][0]  # type: ignore[index]
    return services.proposal_create(actor=c.alice, segment=segment, data={"title": "Add pumps"})


def _opportunity(c: Company) -> models.Model:
    from kam.pipeline import services

    opportunity = services.opportunity_create(
        actor=c.alice,
        client=c.alice_client,
        title="Pumps",
        amount=Decimal("1000.00"),
        expected_on=date(2026, 3, 15),
    )
    return opportunity


def _invoice(c: Company) -> models.Model:
    from kam.receivables import services

    today = timezone.localdate()
    invoice = services.invoice_create(
        client=c.alice_client,
        number="T-1",
        issued_on=today - timedelta(days=30),
        due_on=today,
        amount=Decimal("1000.00"),
        actor=c.fiona,
    )
    return invoice


def _order(c: Company) -> models.Model:
    from kam.orders import services

    return services.order_create(client=c.alice_client, actor=c.alice, note="Spring order")


def _health_settings(c: Company) -> models.Model:
    from kam.health import services

    return services.config_update(actor=c.diana, overdue_ok_rub=Decimal("12345.00"))


def _analysis_settings(c: Company) -> models.Model:
    from kam.analytics import services

    return services.config_update(actor=c.diana, key_share=Decimal("0.15"), critical_share=Decimal("0.50"))


def _ledger_import(c: Company) -> models.Model:
    from kam.ledger import services

    batch = services.import_batch_create(
        uploaded_by=c.diana,
        file_name="ledger.csv",
        fileobj=io.BytesIO(b"date;client;revenue\n"),
        options=services.ImportOptions(),
    )
    return batch


def _competitor(c: Company) -> models.Model:
    from kam.clients import services

    return services.competitor_create(name="Rival Ltd")


def _api_token(c: Company) -> models.Model:
    from kam.access import services

    token, _raw = services.api_token_issue(user=c.alice, name="phone")
    return token


def _tender_feed(c: Company) -> models.Model:
    from kam.tenders import services

    token, _raw = services.feed_token_issue(user=c.alice)
    return token


# name -> (the acting user in the Company, the change done through the app's service)
CHANGES: dict[str, tuple[str, Callable[[Company], models.Model]]] = {
    "account plan": ("alice", _account_plan),
    "activity": ("alice", _activity),
    "weekly plan": ("alice", _weekly_plan),
    "contract": ("alice", _contract),
    "tender": ("alice", _tender),
    "promotion": ("diana", _promotion),
    "segment proposal": ("alice", _segment_proposal),
    "opportunity": ("alice", _opportunity),
    "invoice": ("fiona", _invoice),
    "order": ("alice", _order),
    "health settings": ("diana", _health_settings),
    "analysis settings": ("diana", _analysis_settings),
    "ledger import": ("diana", _ledger_import),
    "competitor": ("alice", _competitor),
    "api token": ("alice", _api_token),
    "tender feed token": ("alice", _tender_feed),
}

SECRETS = {"key_hash", "token_hash", "password"}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_through_its_service_is_logged_with_its_actor(company: Company, change: str) -> None:
    actor_name, do_change = CHANGES[change]
    actor = getattr(company, actor_name)
    with set_actor(actor, remote_addr="10.0.0.7"):
        instance = do_change(company)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        action__in=(LogEntry.Action.CREATE, LogEntry.Action.UPDATE),
    )
    assert entries.exists(), change
    for entry in entries:
        assert entry.actor_id == actor.pk
        assert entry.remote_addr == "10.0.0.7"
        assert not SECRETS & set(entry.changes_dict)


# Bulk or derived tables (or a record's own history) that must stay out of the trail.
NOT_TRACED = [
    "ledger.SalesLine",
    "ledger.LedgerMonthly",
    "analytics.Snapshot",
    "analytics.SnapshotClient",
    "analytics.SnapshotScopeRow",
    "health.HealthSnapshot",
    "health.HealthAlert",
    "health.HealthRun",
    "accountplans.PlanVersion",
    "promotions.Participant",
    "orders.OrderEvent",
    "orders.DeliveryActLine",
    "pipeline.StageChange",
    "contracts.ReminderSent",
]

TRACED = [
    "accountplans.AccountPlan",
    "accountplans.Objective",
    "accountplans.SwotItem",
    "accountplans.StakeholderGoal",
    "accountplans.PlanAction",
    "activities.Activity",
    "activities.WeeklyPlan",
    "activities.Feedback",
    "activities.CalendarFeedToken",
    "analytics.AnalysisConfig",
    "contracts.Contract",
    "contracts.Clause",
    "contracts.Claim",
    "health.HealthConfig",
    "ledger.ImportBatch",
    "orders.Product",
    "orders.ProductPrice",
    "orders.OrderSettings",
    "orders.Order",
    "orders.OrderLine",
    "orders.DiscountApproval",
    "orders.OrderReturn",
    "orders.ReturnLine",
    "orders.DeliveryAct",
    "pipeline.Opportunity",
    "pipeline.ClientLink",
    "promotions.Promotion",
    "receivables.Invoice",
    "receivables.Payment",
    "receivables.PaymentAllocation",
    "receivables.CreditNote",
    "receivables.CollectionAction",
    "segments.SegmentProposal",
    "tenders.Tender",
    "tenders.Lot",
    "tenders.LotItem",
    "tenders.TenderFeedToken",
    "clients.Competitor",
    "access.ApiToken",
]


def test_business_models_are_traced_and_bulk_tables_are_not() -> None:
    assert [label for label in TRACED if not auditlog.contains(apps.get_model(label))] == []
    assert [label for label in NOT_TRACED if auditlog.contains(apps.get_model(label))] == []


def test_the_audit_page_names_the_new_kinds_of_objects(company: Company, login: Any) -> None:
    for change in ("account plan", "contract", "tender", "ledger import"):
        actor_name, do_change = CHANGES[change]
        with set_actor(getattr(company, actor_name)):
            do_change(company)
    page = login(company.diana).get(reverse("access:audit"))
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("swot item: ", "contract: ", "tender: ", "ledger import: "):
        assert name in text, name
    swot = login(company.diana).get(reverse("access:audit"), {"model": "swotitem"})
    assert "Long history" in swot.content.decode() and "contract: " not in swot.content.decode()


def test_a_change_made_on_a_page_is_logged_with_the_user_and_address(company: Company, login: Any) -> None:
    from kam.accountplans import services
    from kam.accountplans.models import SwotItem

    alice = company.alice
    plan = services.plan_create(actor=alice, client=company.alice_client, year=timezone.localdate().year)
    response = login(company.alice).post(
        reverse("accountplans:swot_add", args=[plan.pk]),
        {"kind": "threat", "text": "A new rival nearby"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code in (200, 302)
    item = SwotItem.objects.get(plan=plan, text="A new rival nearby")
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(SwotItem), object_pk=str(item.pk)
    )
    assert (entry.action, entry.actor_id, entry.remote_addr) == (LogEntry.Action.CREATE, alice.pk, "10.0.0.9")
