"""Status moves and their conditions; lot results; access at the service layer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.clients.models import Competitor
from kam.tenders import services
from kam.tenders.models import Lot, Tender

from .helpers import MSK, lot, submitted, tender

pytestmark = pytest.mark.django_db


def test_a_new_tender_is_preparing_and_belongs_to_the_customers_kam(company):
    t = tender(company.alice, company.alice_client)
    assert t.status == "preparing" and t.kam == company.alice
    assert t.deadline.astimezone(MSK).hour == 10 and t.time_zone == "Europe/Moscow"


def test_submitting_needs_a_lot_with_our_bid(company):
    t = tender(company.alice, company.alice_client)
    with pytest.raises(ValidationError, match="Add a lot with our bid"):
        services.tender_set_status(user=company.alice, tender=t, status="submitted")
    lot(company.alice, t, bid=None)
    with pytest.raises(ValidationError):
        services.tender_set_status(user=company.alice, tender=t, status="submitted")
    lot(company.alice, t, subject="Second", bid="10.00")
    t = services.tender_set_status(user=company.alice, tender=t, status="submitted")
    assert Tender.objects.get().status == "submitted"


def test_a_tender_cannot_jump_from_preparing_to_won(company):
    t = tender(company.alice, company.alice_client)
    lot(company.alice, t)
    with pytest.raises(ValidationError, match="cannot go from"):
        services.tender_set_status(user=company.alice, tender=t, status="won")
    assert Tender.objects.get().status == "preparing"


def test_our_bid_cannot_exceed_the_initial_price(company):
    t = tender(company.alice, company.alice_client)
    with pytest.raises(ValidationError) as error:
        lot(company.alice, t, initial="100.00", bid="100.01")
    assert "bid_amount" in error.value.message_dict
    assert not Lot.objects.exists()


def test_results_are_recorded_only_once_the_bid_is_submitted(company):
    t = tender(company.alice, company.alice_client)
    first = lot(company.alice, t)
    with pytest.raises(ValidationError, match="submitted tender"):
        services.lot_set_result(user=company.alice, lot=first, data={"result": "won"})


def test_a_lost_lot_needs_its_winner_and_reasons(company):
    t, first = submitted(company.alice, company.alice_client)
    with pytest.raises(ValidationError) as error:
        services.lot_set_result(user=company.alice, lot=first, data={"result": "lost"})
    assert set(error.value.message_dict) == {"winner", "reasons"}
    assert Lot.objects.get().result == ""
    # closing the tender as lost while the lot has no result is refused too
    with pytest.raises(ValidationError, match="as lost"):
        services.tender_set_status(user=company.alice, tender=t, status="lost")
    acme = Competitor.objects.create(name="Acme Pharma")
    services.lot_set_result(
        user=company.alice,
        lot=first,
        data={"result": "lost", "winner": acme, "winning_price": Decimal("900000"), "reasons": "Price"},
    )
    t = services.tender_set_status(user=company.alice, tender=t, status="lost", note="Dumping")
    assert t.status == "lost" and t.result_note == "Dumping"
    assert Lot.objects.get().winner_display == "Acme Pharma"


def test_a_winner_may_be_a_free_text_name(company):
    _t, first = submitted(company.alice, company.alice_client)
    services.lot_set_result(
        user=company.alice,
        lot=first,
        data={"result": "lost", "winner_name": "OOO Local", "reasons": "Delivery"},
    )
    assert Lot.objects.get().winner_display == "OOO Local"


def test_won_needs_a_won_lot_and_results_for_every_bid_lot(company):
    t, first = submitted(company.alice, company.alice_client)
    second = lot(company.alice, t, subject="Ibuprofen")
    with pytest.raises(ValidationError, match="which lot we won"):
        services.tender_set_status(user=company.alice, tender=t, status="won")
    services.lot_set_result(user=company.alice, lot=first, data={"result": "won"})
    with pytest.raises(ValidationError, match="every lot"):
        services.tender_set_status(user=company.alice, tender=t, status="won")
    services.lot_set_result(
        user=company.alice, lot=second, data={"result": "lost", "winner_name": "Beta", "reasons": "Price"}
    )
    with pytest.raises(ValidationError, match="won, not lost"):
        services.tender_set_status(user=company.alice, tender=t, status="lost")
    t = services.tender_set_status(user=company.alice, tender=t, status="won")
    assert t.status == "won"
    assert Lot.objects.get(pk=first.pk).winning_price == first.bid_amount
    # a closed tender's lots are frozen until it is reopened
    with pytest.raises(ValidationError, match="reopen"):
        lot(company.alice, t, subject="Late lot")
    t = services.tender_set_status(user=company.alice, tender=t, status="submitted")
    lot(company.alice, t, subject="Late lot")


def test_a_cancelled_tender_can_be_taken_up_again(company):
    t = tender(company.alice, company.alice_client)
    t = services.tender_set_status(user=company.alice, tender=t, status="cancelled")
    t = services.tender_set_status(user=company.alice, tender=t, status="preparing")
    assert t.status == "preparing"


def test_another_kams_tender_cannot_be_changed_and_stays_unchanged(company):
    t = tender(company.bob, company.bob_client)
    with pytest.raises(PermissionDenied):
        services.tender_update(user=company.alice, tender=t, data={"title": "Hijacked"})
    with pytest.raises(PermissionDenied):
        services.tender_set_status(user=company.carol, tender=t, status="cancelled")
    with pytest.raises(PermissionDenied):
        tender(company.alice, company.bob_client)
    with pytest.raises(PermissionDenied):
        lot(company.sam, t)
    t.refresh_from_db()
    assert t.title == "Medicines 2027" and t.status == "preparing" and Tender.objects.count() == 1
    assert not Lot.objects.exists()


def test_the_responsible_person_must_be_on_the_sales_side(company):
    with pytest.raises(ValidationError) as error:
        tender(company.alice, company.alice_client, kam=company.sam)
    assert "kam" in error.value.message_dict


def test_a_deadline_before_publication_is_refused(company):
    with pytest.raises(ValidationError) as error:
        tender(company.alice, company.alice_client, published_on=datetime(2026, 12, 5).date())
    assert "deadline" in error.value.message_dict
