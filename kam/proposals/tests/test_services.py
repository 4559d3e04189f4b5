"""Totals, versions, status moves, the floor on discounts, accept → order, permissions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.orders.models import Order, OrderSettings, OrderStatus, ProductPrice
from kam.proposals import services
from kam.proposals.models import Proposal, ProposalEvent, ProposalLine, ProposalStatus, ProposalVersion

pytestmark = pytest.mark.django_db
S = ProposalStatus


def _draft(company, catalogue, template=None, **kwargs):
    proposal = services.proposal_create(
        client=company.alice_client, actor=company.alice, template=template, **kwargs
    )
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=company.alice,
        product=catalogue.cement,
        quantity=Decimal("3"),
        discount=Decimal("2.5"),
    )
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=company.alice,
        product=catalogue.brick,
        quantity=Decimal("1000.5"),
        discount=Decimal("0"),
    )
    proposal.refresh_from_db()
    return proposal


def test_numbers_are_per_year_and_the_template_fills_the_terms(company, catalogue, template):
    today = timezone.localdate()
    first = services.proposal_create(client=company.alice_client, actor=company.alice, template=template)
    second = services.proposal_create(client=company.alice_client, actor=company.alice)
    assert first.number == f"КП-{today.year}-0001"
    assert second.number == f"КП-{today.year}-0002"
    version = first.versions.get()
    assert version.number == 1
    assert version.payment_terms == "Отсрочка 30 дней"
    assert version.valid_until == today + timedelta(days=10)
    assert version.column == company.alice_client.price_column
    assert second.versions.get().valid_until == today + timedelta(days=services.DEFAULT_VALIDITY_DAYS)


def test_totals_are_exact_in_decimal(company, catalogue):
    proposal = _draft(company, catalogue)
    cement, brick = ProposalLine.objects.filter(version__proposal=proposal).order_by("position")
    # 500.00 less 2.5 % = 487.50; × 3 = 1462.50. Brick 20.00 × 1000.5 = 20010.00.
    assert cement.price == Decimal("487.50") and cement.amount == Decimal("1462.50")
    assert brick.price == Decimal("20.00") and brick.amount == Decimal("20010.00")
    assert proposal.total == Decimal("21472.50")
    assert proposal.versions.get().total == Decimal("21472.50")


def test_rounding_half_up_to_kopecks_like_orders(company, catalogue):
    proposal = services.proposal_create(client=company.alice_client, actor=company.alice)
    line = services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=company.alice,
        product=catalogue.brick,
        quantity=Decimal("0.333"),
        discount=Decimal("1.25"),
    )
    # 20.00 × 0.9875 = 19.75; 19.75 × 0.333 = 6.57675 → 6.58
    assert line.price == Decimal("19.75")
    assert line.amount == Decimal("6.58")


def test_changing_the_column_reprices_and_keeps_discounts(company, catalogue):
    proposal = _draft(company, catalogue)
    version = services.proposal_update(
        proposal_id=proposal.pk,
        actor=company.alice,
        column=3,
        valid_until=proposal.valid_until,
        payment_terms="Предоплата",
    )
    cement = version.lines.get(position=1)
    assert cement.list_price == Decimal("450.00")
    assert cement.price == Decimal("438.75")  # 450 less 2.5 %
    assert cement.client_price == Decimal("500.00")
    proposal.refresh_from_db()
    assert proposal.total == Decimal("1316.25") + Decimal("18009.00")
    assert proposal.version == 1  # a draft is edited in place


def test_editing_a_sent_proposal_makes_a_new_version_and_keeps_the_old(company, catalogue):
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_line_change(
        proposal_id=proposal.pk,
        actor=company.alice,
        position=2,
        quantity=Decimal("500"),
        discount=Decimal("1"),
    )
    proposal.refresh_from_db()
    assert proposal.version == 2
    assert proposal.status == S.DRAFT
    v1, v2 = ProposalVersion.objects.filter(proposal=proposal).order_by("number")
    assert v1.locked and not v2.locked
    assert v1.total == Decimal("21472.50")
    assert v1.lines.get(position=2).quantity == Decimal("1000.5")
    assert v2.lines.get(position=2).price == Decimal("19.80")
    assert v2.total == Decimal("1462.50") + Decimal("9900.00")
    assert proposal.total == v2.total
    # v2 is sent, then a third version; v1 and v2 both stay as they were.
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_line_remove(proposal_id=proposal.pk, actor=company.alice, position=1)
    proposal.refresh_from_db()
    assert proposal.version == 3
    assert list(
        ProposalVersion.objects.filter(proposal=proposal).order_by("number").values_list("total", flat=True)
    ) == [
        Decimal("21472.50"),
        Decimal("11362.50"),
        Decimal("9900.00"),
    ]


def test_status_moves_and_the_reject_reason(company, catalogue):
    proposal = services.proposal_create(client=company.alice_client, actor=company.alice)
    with pytest.raises(ValidationError, match="at least one line"):
        services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    with pytest.raises(ValidationError, match="Only a sent proposal"):
        services.proposal_reject(proposal_id=proposal.pk, actor=company.alice, reason="x")
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    with pytest.raises(ValidationError):
        services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    with pytest.raises(ValidationError) as error:
        services.proposal_reject(proposal_id=proposal.pk, actor=company.alice, reason="   ")
    assert "reason" in error.value.message_dict
    proposal.refresh_from_db()
    assert proposal.status == S.SENT
    services.proposal_reject(
        proposal_id=proposal.pk, actor=company.alice, reason="Дорого, у конкурента дешевле"
    )
    proposal.refresh_from_db()
    assert proposal.status == S.REJECTED
    assert proposal.reject_reason == "Дорого, у конкурента дешевле"
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.proposal_line_remove(proposal_id=proposal.pk, actor=company.alice, position=1)
    with pytest.raises(ValidationError):
        services.proposal_accept(proposal_id=proposal.pk, actor=company.alice)
    moves = list(ProposalEvent.objects.filter(proposal=proposal).values_list("from_status", "to_status"))
    assert moves[-2:] == [("draft", "sent"), ("sent", "rejected")]


def test_sent_proposals_expire_after_their_validity(company, catalogue):
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    last_day = proposal.valid_until
    assert services.proposals_expire(today=last_day).expired == 0  # valid until that day inclusive
    with pytest.raises(ValidationError, match="valid until"):
        services.proposal_accept(
            proposal_id=proposal.pk, actor=company.alice, today=last_day + timedelta(days=1)
        )
    assert services.proposals_expire(today=last_day + timedelta(days=1)).expired == 1
    proposal.refresh_from_db()
    assert proposal.status == S.EXPIRED
    # An expired proposal can be renewed as a new version with a new date.
    services.proposal_update(
        proposal_id=proposal.pk,
        actor=company.alice,
        column=1,
        valid_until=last_day + timedelta(days=30),
        today=last_day + timedelta(days=1),
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (S.DRAFT, 2)


def test_accepting_makes_an_order_with_the_same_prices(company, catalogue):
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_accept(proposal_id=proposal.pk, actor=company.alice)
    proposal.refresh_from_db()
    assert proposal.status == S.ACCEPTED
    order = proposal.order
    assert order is not None and order.status == OrderStatus.DRAFT
    assert order.client == company.alice_client and order.kam == company.alice
    assert order.total == proposal.total == Decimal("21472.50")
    lines = list(
        order.lines.order_by("position").values_list("product__code", "quantity", "discount", "price")
    )
    assert lines == [
        ("CEM-500", Decimal("3.000"), Decimal("2.50"), Decimal("487.50")),
        ("BRK-1", Decimal("1000.500"), Decimal("0.00"), Decimal("20.00")),
    ]
    assert Order.objects.get(pk=order.pk).proposal == proposal
    assert proposal.number in order.note


def test_the_director_accepts_and_the_kam_makes_the_order_later(company, catalogue):
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_accept(proposal_id=proposal.pk, actor=company.diana)  # the director takes no orders
    proposal.refresh_from_db()
    assert proposal.status == S.ACCEPTED and proposal.order is None
    with pytest.raises(PermissionDenied):
        services.proposal_make_order(proposal_id=proposal.pk, actor=company.diana)
    services.proposal_make_order(proposal_id=proposal.pk, actor=company.alice)
    proposal.refresh_from_db()
    assert proposal.order is not None and proposal.order.total == proposal.total
    with pytest.raises(ValidationError, match="made already"):
        services.proposal_make_order(proposal_id=proposal.pk, actor=company.alice)


def test_a_changed_price_list_stops_the_order_and_nothing_is_half_made(company, catalogue):
    proposal = _draft(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    ProductPrice.objects.filter(product=catalogue.brick, column=1).update(price=Decimal("21.00"))
    with pytest.raises(ValidationError, match="price list changed"):
        services.proposal_accept(proposal_id=proposal.pk, actor=company.alice)
    proposal.refresh_from_db()
    assert proposal.status == S.SENT and proposal.order is None
    assert not Order.objects.exists()


def test_a_kam_may_not_send_below_the_floor_but_the_head_may(company, catalogue):
    OrderSettings.objects.update_or_create(pk=1, defaults={"kam_max_discount": Decimal("3")})
    proposal = services.proposal_create(client=company.alice_client, actor=company.alice)
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=company.alice,
        product=catalogue.cement,
        quantity=Decimal("1"),
        discount=Decimal("3"),  # exactly at the floor: allowed
    )
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=company.alice,
        product=catalogue.brick,
        quantity=Decimal("1"),
        discount=Decimal("5"),
    )
    with pytest.raises(ValidationError) as error:
        services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    assert "BRK-1" in str(error.value) and "CEM-500" not in str(error.value)
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT
    services.proposal_send(proposal_id=proposal.pk, actor=company.hannah)
    proposal.refresh_from_db()
    assert proposal.status == S.SENT


def test_bad_lines_are_refused(company, catalogue):
    proposal = services.proposal_create(client=company.alice_client, actor=company.alice)
    for quantity, discount in (
        (Decimal(0), Decimal(0)),
        (Decimal(1), Decimal(100)),
        (Decimal("0.0001"), Decimal(0)),
    ):
        with pytest.raises(ValidationError):
            services.proposal_line_add(
                proposal_id=proposal.pk,
                actor=company.alice,
                product=catalogue.cement,
                quantity=quantity,
                discount=discount,
            )
    ProductPrice.objects.filter(product=catalogue.brick, column=1).delete()
    with pytest.raises(ValidationError, match="no price in column 1"):
        services.proposal_line_add(
            proposal_id=proposal.pk, actor=company.alice, product=catalogue.brick, quantity=Decimal(1)
        )
    with pytest.raises(ValidationError, match="in the past"):
        services.proposal_create(
            client=company.alice_client, actor=company.alice, valid_until=date(2000, 1, 1)
        )
    assert not ProposalLine.objects.exists()


@pytest.mark.parametrize("who", ["carol", "hugo", "sam", "fiona", "adam"])
def test_others_cannot_touch_alices_proposal_and_nothing_changes(company, catalogue, who):
    proposal = _draft(company, catalogue)
    actor = getattr(company, who)
    before = (
        Proposal.objects.count(),
        ProposalVersion.objects.count(),
        ProposalLine.objects.count(),
        ProposalEvent.objects.count(),
    )
    attempts = [
        lambda: services.proposal_create(client=company.alice_client, actor=actor),
        lambda: services.proposal_line_add(
            proposal_id=proposal.pk, actor=actor, product=catalogue.cement, quantity=Decimal(1)
        ),
        lambda: services.proposal_line_remove(proposal_id=proposal.pk, actor=actor, position=1),
        lambda: services.proposal_send(proposal_id=proposal.pk, actor=actor),
        lambda: services.proposal_reject(proposal_id=proposal.pk, actor=actor, reason="x"),
        lambda: services.proposal_accept(proposal_id=proposal.pk, actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    after = (
        Proposal.objects.count(),
        ProposalVersion.objects.count(),
        ProposalLine.objects.count(),
        ProposalEvent.objects.count(),
    )
    assert after == before
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT and proposal.total == Decimal("21472.50")


def test_the_head_and_a_deputy_work_with_the_department(company, catalogue):
    from kam.access.models import Deputy

    proposal = services.proposal_create(client=company.alice_client, actor=company.hannah)
    assert proposal.kam == company.alice  # the head makes it in the client's KAM's name
    today = timezone.localdate()
    Deputy.objects.create(
        absent=company.alice, deputy=company.bob, starts_on=today, ends_on=today, created_by=company.hannah
    )
    services.proposal_line_add(
        proposal_id=proposal.pk, actor=company.bob, product=catalogue.brick, quantity=Decimal(2)
    )
