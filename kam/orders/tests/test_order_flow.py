from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.ledger.models import LedgerMonthly, SalesLine
from kam.orders import services
from kam.orders.models import (
    Decision,
    DiscountApproval,
    Order,
    OrderEvent,
    OrderSettings,
    OrderStatus,
    OverdueAction,
)

S = OrderStatus
pytestmark = pytest.mark.django_db


def draft(company, catalogue, *, qty="10", discount="0", client=None, kam=None) -> Order:
    client = client or company.alice_client
    kam = kam or company.alice
    order = services.order_create(client=client, actor=kam)
    services.order_line_add(
        order_id=order.pk,
        actor=kam,
        product=catalogue.cement,
        quantity=Decimal(qty),
        discount=Decimal(discount),
    )
    order.refresh_from_db()
    return order


def bring(company, catalogue, status: str) -> Order:
    """An order of alice's client in `status`, reached the way people reach it."""
    sam = company.sam
    if status == S.AWAITING_APPROVAL:
        order = draft(company, catalogue, discount="10")
        return services.order_submit(order_id=order.pk, actor=company.alice)
    order = draft(company, catalogue)
    if status == S.DRAFT:
        return order
    if status == S.CANCELLED:
        return services.order_move(
            order_id=order.pk, to=S.CANCELLED, actor=company.alice, reason_note="by mistake"
        )
    services.order_submit(order_id=order.pk, actor=company.alice)
    paths: dict[str, list[str]] = {
        S.SUBMITTED: [],
        S.ENTERED: [S.ENTERED],
        S.SHIPPED: [S.ENTERED, S.SHIPPED],
        S.DELIVERED: [S.ENTERED, S.SHIPPED, S.DELIVERED],
        S.PARTLY_RETURNED: [S.ENTERED, S.SHIPPED, S.DELIVERED],
        S.RETURNED: [S.ENTERED, S.SHIPPED, S.DELIVERED],
        S.REFUSED: [],
    }
    for step in paths[status]:
        services.order_move(order_id=order.pk, to=step, actor=sam)
    if status == S.REFUSED:
        services.order_move(order_id=order.pk, to=S.REFUSED, actor=sam, reason="price")
    if status in (S.PARTLY_RETURNED, S.RETURNED):
        line = order.lines.get()
        services.order_return_create(
            order_id=order.pk,
            actor=sam,
            quantities={line.pk: "1"},
            full=status == S.RETURNED,
            reason="quality",
        )
    order.refresh_from_db()
    assert order.status == status
    return order


def test_the_whole_path_records_every_state_with_who_and_when(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    moves = list(order.events.values_list("from_status", "to_status", "actor__username"))
    assert moves == [
        ("", "draft", "alice"),
        ("draft", "submitted", "alice"),
        ("submitted", "entered", "sam"),
        ("entered", "shipped", "sam"),
        ("shipped", "delivered", "sam"),
    ]
    assert all(e.at for e in order.events.all())


ALL = [s.value for s in S]
ALLOWED = [(a, b) for a, targets in services.TRANSITIONS.items() for b in targets]
FORBIDDEN = [(a, b) for a in ALL for b in ALL if b not in services.TRANSITIONS[a]]


def test_the_transition_table_names_every_state():
    assert set(services.TRANSITIONS) == set(ALL)
    assert len(ALLOWED) + len(FORBIDDEN) == len(ALL) ** 2


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_it_refuses_every_forbidden_move(company, catalogue, fake_receivables, current, target):
    order = bring(company, catalogue, current)
    events = OrderEvent.objects.count()
    with pytest.raises(ValidationError, match="cannot become"):
        services._move(order, target, actor=company.diana, reason="x")
    order.refresh_from_db()
    assert order.status == current
    assert OrderEvent.objects.count() == events


def _actor_for(company, perms):
    if services.PROCESS in perms:
        return company.sam
    if services.APPROVE in perms:
        return company.hannah
    return company.alice


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_it_makes_every_allowed_move_and_records_it(company, catalogue, fake_receivables, current, target):
    order = bring(company, catalogue, current)
    actor = _actor_for(company, services.TRANSITIONS[current][target])
    event = services._move(order, target, actor=actor, reason="because")
    order.refresh_from_db()
    assert order.status == target
    assert (event.from_status, event.to_status, event.actor) == (current, target, actor)


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_it_refuses_an_allowed_move_to_the_wrong_person(
    company, catalogue, fake_receivables, current, target
):
    order = bring(company, catalogue, current)
    perms = services.TRANSITIONS[current][target]
    outsider = company.carol  # a KAM of another department: no right on alice's client, not support
    if services.PROCESS in perms and services.TAKE not in perms:
        outsider = company.alice  # the KAM may not do sales support's moves
    events = OrderEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services._move(order, target, actor=outsider, reason="x")
    order.refresh_from_db()
    assert order.status == current
    assert OrderEvent.objects.count() == events


def test_cancel_and_refusal_need_a_reason(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.SUBMITTED)
    with pytest.raises(ValidationError):
        services.order_move(order_id=order.pk, to=S.REFUSED, actor=company.sam, reason="")
    with pytest.raises(ValidationError):
        services.order_move(order_id=order.pk, to=S.CANCELLED, actor=company.sam)
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    services.order_move(
        order_id=order.pk, to=S.REFUSED, actor=company.sam, reason="price", reason_note="too dear"
    )
    order.refresh_from_db()
    assert (order.status, order.reason, order.reason_note) == (S.REFUSED, "price", "too dear")
    assert order.events.order_by("id").values_list("reason", flat=True).last() == "Price: too dear"


# --------------------------------------------------------------------------- credit


def test_an_order_exactly_at_the_limit_passes(company, catalogue, fake_receivables):
    client = company.alice_client  # limit 1 000 000.00
    fake_receivables.receivables[client.pk] = Decimal("995000.00")
    order = draft(company, catalogue, qty="10")  # 10 × 500.00 = 5 000.00
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert (order.credit_limit, order.credit_receivables, order.credit_open_orders) == (
        Decimal("1000000.00"),
        Decimal("995000.00"),
        Decimal(0),
    )


def test_one_kopeck_over_the_limit_is_refused_and_nothing_changes(company, catalogue, fake_receivables):
    client = company.alice_client
    fake_receivables.receivables[client.pk] = Decimal("995000.01")
    order = draft(company, catalogue, qty="10")
    with pytest.raises(ValidationError) as error:
        services.order_submit(order_id=order.pk, actor=company.alice)
    assert "above the limit" in str(error.value)
    assert "4,999.99" in str(error.value)  # the largest order that fits
    order.refresh_from_db()
    assert order.status == S.DRAFT and order.submitted_at is None
    assert order.events.count() == 1


def test_open_orders_count_towards_the_exposure(company, catalogue, fake_receivables):
    company.alice_client.credit_limit = Decimal("9999.99")
    company.alice_client.save()
    first = draft(company, catalogue, qty="10")
    services.order_submit(order_id=first.pk, actor=company.alice)
    second = draft(company, catalogue, qty="10")
    with pytest.raises(ValidationError, match="above the limit"):
        services.order_submit(order_id=second.pk, actor=company.alice)
    position = services.credit_position(company.alice_client, order=second)
    assert position.open_orders == Decimal("5000.00")
    assert position.largest_order == Decimal("4999.99")


def test_delivered_orders_leave_open_orders(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    assert services.open_orders_amount(order.client_id) == 0


def test_the_page_suggests_lines_that_fit_by_priority(company, catalogue, fake_receivables):
    company.alice_client.credit_limit = Decimal("5300.00")
    company.alice_client.save()
    order = draft(company, catalogue, qty="10")  # 5 000.00
    services.order_line_add(
        order_id=order.pk, actor=company.alice, product=catalogue.cement, quantity=Decimal("1")
    )
    services.order_line_add(
        order_id=order.pk, actor=company.alice, product=catalogue.brick, quantity=Decimal("10")
    )
    order.refresh_from_db()
    position = services.credit_position(company.alice_client, order=order)
    first, _second, third = order.lines.all()
    assert position.largest_order == Decimal("5300.00")
    assert not position.fits
    assert position.fitting_lines == [first.pk, third.pk]  # the 500.00 line no longer fits after 5 000.00
    assert position.fitting_amount == Decimal("5200.00")


def test_overdue_debt_above_tolerance_sends_the_order_for_approval(company, catalogue, fake_receivables):
    fake_receivables.overdue[company.alice_client.pk] = Decimal("0.01")
    order = draft(company, catalogue)
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL
    assert "Overdue debt" in order.approvals.get().grounds


def test_overdue_debt_within_tolerance_passes(company, catalogue, fake_receivables):
    config = OrderSettings.current()
    config.overdue_tolerance_amount = Decimal("1000.00")
    config.save()
    fake_receivables.overdue[company.alice_client.pk] = Decimal("1000.00")
    order = draft(company, catalogue)
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.SUBMITTED


def test_overdue_debt_blocks_when_the_rule_says_so(company, catalogue, fake_receivables):
    config = OrderSettings.current()
    config.overdue_action = OverdueAction.BLOCK
    config.save()
    fake_receivables.overdue[company.alice_client.pk] = Decimal("5.00")
    order = draft(company, catalogue)
    with pytest.raises(ValidationError, match="blocked"):
        services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.DRAFT


# --------------------------------------------------------------------------- discounts and approval


def test_a_discount_within_the_kams_rule_needs_no_approval(company, catalogue, fake_receivables):
    order = draft(company, catalogue, discount="3")
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert order.lines.get().price == Decimal("485.00")


def test_a_discount_beyond_the_rule_waits_for_the_head(company, catalogue, fake_receivables):
    order = draft(company, catalogue, discount="3.01")
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL
    approval = order.approvals.get()
    assert approval.decision == Decision.PENDING and "CEM-500" in approval.grounds


def test_a_cheaper_column_than_the_clients_counts_as_a_discount(company, catalogue, fake_receivables):
    order = services.order_create(client=company.alice_client, actor=company.alice, column=3)
    services.order_line_add(
        order_id=order.pk, actor=company.alice, product=catalogue.cement, quantity=Decimal(1)
    )
    services.order_submit(order_id=order.pk, actor=company.alice)
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL  # 450.00 is 10 % below the client's 500.00


def test_the_head_approves_and_the_order_goes_to_sales_support(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    approval = services.approval_decide(
        order_id=order.pk, actor=company.hannah, approve=True, reason="key client"
    )
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert (approval.decision, approval.decided_by, approval.reason) == (
        Decision.APPROVED,
        company.hannah,
        "key client",
    )


def test_a_refusal_by_the_head_returns_the_draft_with_the_reason(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    with pytest.raises(ValidationError):
        services.approval_decide(order_id=order.pk, actor=company.hannah, approve=False, reason="")
    services.approval_decide(order_id=order.pk, actor=company.hannah, approve=False, reason="too deep")
    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert order.approvals.get().decision == Decision.REJECTED
    assert order.events.order_by("id").values_list("reason", flat=True).last() == "too deep"


def test_another_departments_head_cannot_approve(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    with pytest.raises(PermissionDenied):
        services.approval_decide(order_id=order.pk, actor=company.hugo, approve=True)
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL
    assert DiscountApproval.objects.get().decision == Decision.PENDING


def test_the_director_can_approve(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    services.approval_decide(order_id=order.pk, actor=company.diana, approve=True)
    order.refresh_from_db()
    assert order.status == S.SUBMITTED


# --------------------------------------------------------------------------- taking orders: who


def test_it_refuses_other_kams_client(company, catalogue, fake_receivables):
    with pytest.raises(PermissionDenied):
        services.order_create(client=company.bob_client, actor=company.alice)
    with pytest.raises(PermissionDenied):
        services.order_create(client=company.alice_client, actor=company.sam)
    assert Order.objects.count() == 0


def test_a_head_takes_an_order_in_the_kams_name(company, catalogue, fake_receivables):
    order = services.order_create(client=company.alice_client, actor=company.hannah)
    assert order.kam == company.alice


def test_only_drafts_change(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.SUBMITTED)
    with pytest.raises(ValidationError, match="draft"):
        services.order_line_add(
            order_id=order.pk, actor=company.alice, product=catalogue.brick, quantity=Decimal(1)
        )
    assert order.lines.count() == 1


def test_an_empty_order_is_not_submitted(company, catalogue, fake_receivables):
    order = services.order_create(client=company.alice_client, actor=company.alice)
    with pytest.raises(ValidationError, match="at least one line"):
        services.order_submit(order_id=order.pk, actor=company.alice)


def test_changing_the_column_reprices_the_lines(company, catalogue, fake_receivables):
    order = draft(company, catalogue, qty="2", discount="1")
    services.order_update(order_id=order.pk, actor=company.alice, column=2)
    order.refresh_from_db()
    line = order.lines.get()
    assert (line.list_price, line.price, order.total) == (
        Decimal("480.00"),
        Decimal("475.20"),
        Decimal("950.40"),
    )


# --------------------------------------------------------------------------- delivery, returns, acts


def test_delivery_writes_ledger_lines_and_asks_for_an_invoice(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    sales = SalesLine.objects.get()
    assert sales.external_id == f"order-{order.pk}-{line.pk}"
    assert (sales.revenue, sales.cost, sales.quantity) == (
        Decimal("5000.00"),
        Decimal("3000.00"),
        Decimal("10"),
    )
    assert (sales.manager, sales.department, sales.client) == (
        company.alice,
        company.north,
        company.alice_client,
    )
    monthly = LedgerMonthly.objects.get()
    assert (monthly.turnover, monthly.income) == (500000, 200000)
    assert fake_receivables.invoices == [
        {
            "order_id": order.pk,
            "client": company.alice_client,
            "amount": Decimal("5000.00"),
            "issued_on": order.delivered_on,
            "actor": company.sam,
        }
    ]


def test_a_partial_return_writes_negative_ledger_lines(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    ret = services.order_return_create(
        order_id=order.pk, actor=company.sam, quantities={line.pk: "3"}, reason="misgrading", on=date.today()
    )
    order.refresh_from_db()
    assert order.status == S.PARTLY_RETURNED
    neg = SalesLine.objects.get(external_id=f"order-{order.pk}-{line.pk}-ret-{ret.number}")
    assert (neg.quantity, neg.revenue, neg.cost) == (Decimal("-3"), Decimal("-1500.00"), Decimal("-900.00"))
    assert LedgerMonthly.objects.get().turnover == 350000
    # more than what is left is refused; the rest returns the whole order
    with pytest.raises(ValidationError, match="only 7"):
        services.order_return_create(
            order_id=order.pk, actor=company.sam, quantities={line.pk: "8"}, reason="quality"
        )
    services.order_return_create(order_id=order.pk, actor=company.sam, full=True, reason="quality")
    order.refresh_from_db()
    assert order.status == S.RETURNED
    assert sum(SalesLine.objects.values_list("revenue", flat=True)) == 0


def test_a_return_needs_a_reason_and_the_right_person(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    with pytest.raises(ValidationError):
        services.order_return_create(
            order_id=order.pk, actor=company.sam, quantities={line.pk: "1"}, reason=""
        )
    with pytest.raises(PermissionDenied):
        services.order_return_create(
            order_id=order.pk, actor=company.alice, quantities={line.pk: "1"}, reason="quality"
        )
    assert SalesLine.objects.count() == 1
    order.refresh_from_db()
    assert order.status == S.DELIVERED


def test_an_act_for_a_shortage_is_linked_to_the_delivery(company, catalogue, fake_receivables):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    act = services.delivery_act_create(
        order_id=order.pk, actor=company.sam, kind="shortage", quantities={line.pk: "2"}, note="2 bags short"
    )
    assert act.lines.get().quantity == Decimal(2)
    assert "Shortage" in str(order.events.order_by("id").values_list("reason", flat=True).last())
    with pytest.raises(PermissionDenied):
        services.delivery_act_create(
            order_id=order.pk, actor=company.carol, kind="shortage", quantities={line.pk: "1"}
        )
    with pytest.raises(ValidationError):
        services.delivery_act_create(
            order_id=order.pk, actor=company.sam, kind="shortage", quantities={line.pk: "11"}
        )
    assert order.acts.count() == 1
