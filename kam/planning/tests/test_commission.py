from datetime import date
from decimal import Decimal

import pytest

from kam.core.testing import INNS, make_client
from kam.planning import commission, selectors, services
from kam.planning.models import CommissionBase, CommissionRules
from kam.planning.periods import Period

from .helpers import Ledger

NOV = Period("month", date(2026, 11, 1))
D = Decimal
TIERS = [(D("1000000.00"), D("5")), (D("100000.00"), D("12")), (D("0.00"), D("15"))]
FACTORS = [(D("0"), D("0.5")), (D("80"), D("1.0")), (D("100"), D("1.2"))]


@pytest.mark.parametrize(
    ("amount", "rate"),
    [
        ("1000000.00", "5"),  # exactly at the large-deal threshold
        ("999999.99", "12"),  # one kopeck under
        ("5000000.00", "5"),
        ("100000.00", "12"),  # exactly at the medium threshold
        ("99999.99", "15"),  # one kopeck under
        ("0.00", "15"),
        ("0.01", "15"),
        ("-500.00", "15"),  # a net return claws back at the lowest tier
    ],
)
def test_each_tier_boundary(amount, rate):
    assert commission.pick_tier(D(amount), TIERS)[1] == D(rate)


@pytest.mark.parametrize(
    ("actual", "factor"),
    [
        ("80000.00", "1.0"),  # exactly 80 %
        ("79999.99", "0.5"),  # one kopeck under
        ("100000.00", "1.2"),  # exactly 100 %
        ("99999.99", "1.0"),
        ("0.00", "0.5"),
        ("250000.00", "1.2"),
    ],
)
def test_each_factor_boundary(actual, factor):
    assert commission.pick_factor(D(actual), D("100000.00"), FACTORS)[1] == D(factor)


def test_factor_is_compared_exactly_not_on_a_rounded_percentage():
    # 2/3 of the plan is 66.666…%: a row from 66.67 % must not be reached.
    factors = [(D("0"), D("0.5")), (D("66.67"), D("1"))]
    assert commission.pick_factor(D("2.00"), D("3.00"), factors)[1] == D("0.5")
    assert commission.pick_factor(D("10"), None, FACTORS) == (None, D(1))
    assert commission.pick_factor(D("10"), D("0"), FACTORS) == (None, D(1))


def test_commissions_round_to_the_kopeck_half_up():
    assert commission.deal_commission(D("33.30"), D("15")) == D("5.00")  # 4.995
    assert commission.deal_commission(D("33.29"), D("15")) == D("4.99")  # 4.9935
    assert commission.deal_commission(D("-33.30"), D("15")) == D("-5.00")
    assert commission.total_with_factor(D("10.01"), D("0.5")) == D("5.01")  # 5.005


def test_default_rules_are_5_12_15_percent_and_half_one_one_fifth(db):
    rules = CommissionRules.current()
    assert rules.base == CommissionBase.AMOUNT
    assert sorted((t.min_amount, t.rate) for t in rules.tiers.all()) == sorted(TIERS)
    assert sorted((f.from_pct, f.factor) for f in rules.factors.all()) == sorted(FACTORS)


def test_statement_lists_every_deal_and_adds_up_to_the_kopeck(company):
    other = make_client(company.alice, INNS[3], "Oduvanchik")
    ledger = Ledger()
    # one deal = one client on one date; two lines make one deal of exactly 100 000.00
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 2), "60000.00", "50000.00")
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 2), "40000.00", "30000.00")
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 3), "99999.99", "90000.00")
    ledger.sale(other, company.alice, date(2026, 11, 3), "1000000.00", "900000.00")
    ledger.sale(other, company.alice, date(2026, 11, 4), "33.30", "3.30")
    ledger.sale(other, company.alice, date(2026, 11, 5), "33.29")
    ledger.sale(company.bob_client, company.bob, date(2026, 11, 3), "5000.00")  # bob's
    ledger.sale(other, company.alice, date(2026, 12, 1), "5000.00")  # next month
    ledger.save()
    # Sales 1 200 066.58 against a plan of 1 500 083.23: 80 % of the plan is 1 200 066.584, a fraction of a
    # kopeck more than the sales, so the factor is the one below 80 %.
    services.plan_set(
        actor=company.hannah,
        kam=company.alice,
        period=NOV,
        sales_volume=D("1500083.23"),
        active_clients=1,
        new_clients=0,
    )
    st = selectors.statement(company.hannah, company.alice, NOV)

    assert [(d.date.day, d.client_name, d.amount, d.rate, d.commission) for d in st.deals] == [
        (2, "Romashka", D("100000.00"), D("12"), D("12000.00")),
        (3, "Oduvanchik", D("1000000.00"), D("5"), D("50000.00")),
        (3, "Romashka", D("99999.99"), D("15"), D("15000.00")),  # 14 999.9985
        (4, "Oduvanchik", D("33.30"), D("15"), D("5.00")),
        (5, "Oduvanchik", D("33.29"), D("15"), D("4.99")),
    ]
    assert st.deals[0].lines == 2
    assert st.subtotal == sum(d.commission for d in st.deals) == D("77009.99")
    assert st.actual_sales == D("1200066.58")
    # 1 200 066.58 / 1 500 083.23 = 0.7999999… just under 80 %
    assert st.factor == D("0.5") and st.factor_from == D("0")
    assert st.total == D("38505.00")  # 38 504.995 half-up
    assert sum(d.commission for d in st.deals) + st.adjustment == st.total


def test_exactly_80_percent_of_plan_keeps_factor_one(company):
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 2), "80000.00").save()
    services.plan_set(
        actor=company.hannah,
        kam=company.alice,
        period=NOV,
        sales_volume=D("100000"),
        active_clients=0,
        new_clients=0,
    )
    st = selectors.statement(company.alice, company.alice, NOV)
    assert (st.factor, st.fulfilment) == (D("1.0"), D("0.8"))
    assert st.total == st.subtotal == D("12000.00")  # 80 000 is a deal under 100 000: 15 %
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 3), "20000.00").save()
    st = selectors.statement(company.alice, company.alice, NOV)
    assert (st.factor, st.fulfilment) == (D("1.2"), D("1"))
    assert st.subtotal == D("15000.00")
    assert st.total == D("18000.00")


def test_margin_base_takes_revenue_minus_cost_but_tiers_by_amount(company):
    services.commission_rules_update(actor=company.diana, base="margin", tiers=TIERS, factors=FACTORS)
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 2), "100000.00", "75000.01").save()
    st = selectors.statement(company.diana, company.alice, NOV)
    (deal,) = st.deals
    assert (deal.margin, deal.base, deal.rate, deal.commission) == (
        D("24999.99"),
        D("24999.99"),
        D("12"),
        D("3000.00"),
    )
    assert st.factor == 1 and st.total == D("3000.00")  # no plan: no cut


def test_commission_rules_refuse_a_table_without_a_zero_row_and_change_nothing(company):
    from django.core.exceptions import PermissionDenied, ValidationError

    before = CommissionRules.current()
    with pytest.raises(ValidationError):
        services.commission_rules_update(
            actor=company.diana, base="margin", tiers=[(D("100"), D("10"))], factors=FACTORS
        )
    with pytest.raises(ValidationError):
        services.commission_rules_update(
            actor=company.diana, base="margin", tiers=[(D("0"), D("10")), (D("0"), D("12"))], factors=FACTORS
        )
    with pytest.raises(PermissionDenied):
        services.commission_rules_update(actor=company.hannah, base="margin", tiers=TIERS, factors=FACTORS)
    after = CommissionRules.current()
    assert after.base == before.base == CommissionBase.AMOUNT
    assert sorted((t.min_amount, t.rate) for t in after.tiers.all()) == sorted(TIERS)
