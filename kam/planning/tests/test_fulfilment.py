from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.access.models import Role
from kam.core.testing import INNS, make_client, make_user
from kam.planning import selectors, services
from kam.planning.models import Plan
from kam.planning.periods import Period

from .helpers import Ledger

NOV = Period("month", date(2026, 11, 1))
Q4 = Period("quarter", date(2026, 10, 1))


def set_plan(company, kam, period, sales, active=0, new=0):
    return services.plan_set(
        actor=company.diana,
        kam=kam,
        period=period,
        sales_volume=Decimal(sales),
        active_clients=active,
        new_clients=new,
    )


def test_periods_parse_and_know_their_days():
    assert Period.parse("2026-11") == NOV
    assert Period.parse("2026-q4") == Q4
    assert Period.parse("2026").days == 365
    assert NOV.days == 30 and NOV.end == date(2026, 12, 1)
    assert Q4.months == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    assert Period.containing("quarter", date(2026, 11, 23)) == Q4
    for bad in ("2026-13", "26-11", "2026-Q5", "x"):
        with pytest.raises(ValueError):
            Period.parse(bad)
    with pytest.raises(ValueError):
        Period.checked("quarter", date(2026, 11, 1))


def test_fulfilment_counts_sales_active_and_new_clients_from_the_ledger(company):
    newcomer = make_client(company.alice, INNS[3], "Oduvanchik")
    ledger = Ledger()
    ledger.sale(company.alice_client, company.alice, date(2026, 10, 5), "1000.00")  # bought before
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 3), "2000.50")
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 20), "499.50")
    ledger.sale(newcomer, company.alice, date(2026, 11, 10), "7000.00")  # first purchase ever
    ledger.sale(company.bob_client, company.bob, date(2026, 11, 10), "123.45")  # not alice's
    ledger.sale(company.alice_client, company.alice, date(2026, 12, 1), "999.00")  # after the month
    ledger.save()

    got = selectors.ledger_actuals(NOV, by="manager", ids=[company.alice.pk, company.bob.pk])

    assert got[company.alice.pk] == selectors.Actuals(Decimal("9500.00"), 2, 1)
    assert got[company.bob.pk] == selectors.Actuals(Decimal("123.45"), 1, 1)
    quarter = selectors.ledger_actuals(Q4, by="manager", ids=[company.alice.pk])[company.alice.pk]
    assert quarter == selectors.Actuals(Decimal("11499.00"), 2, 2)


def test_a_client_who_bought_from_a_colleague_before_is_not_new(company):
    ledger = Ledger()
    ledger.sale(company.bob_client, company.bob, date(2026, 9, 1), "10.00")
    ledger.sale(company.bob_client, company.alice, date(2026, 11, 2), "10.00")
    ledger.save()
    got = selectors.ledger_actuals(NOV, by="manager", ids=[company.alice.pk])[company.alice.pk]
    assert (got.active_clients, got.new_clients) == (1, 0)


def test_a_fully_returned_month_is_not_an_active_client(company):
    ledger = Ledger()
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 2), "500.00")
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 9), "-500.00")
    ledger.save()
    got = selectors.ledger_actuals(NOV, by="manager", ids=[company.alice.pk])[company.alice.pk]
    assert got == selectors.Actuals(Decimal("0.00"), 0, 0)


def test_forecast_continues_the_pace_to_the_period_end_exactly():
    assert selectors.forecast(Decimal("100000.00"), NOV, date(2026, 11, 10)) == Decimal("300000.00")
    # 1000 × 30 / 7 = 4285.714… → 4285.71
    assert selectors.forecast(Decimal("1000.00"), NOV, date(2026, 11, 7)) == Decimal("4285.71")
    # 1000 × 30 / 9 = 3333.333…; 0.05 × 30 / 4 = 0.375 → 0.38 (half-up)
    assert selectors.forecast(Decimal("0.05"), NOV, date(2026, 11, 4)) == Decimal("0.38")
    assert selectors.forecast(Decimal("1000.00"), NOV, date(2026, 10, 31)) is None
    assert selectors.forecast(Decimal("1000.00"), NOV, date(2026, 11, 30)) == Decimal("1000.00")
    assert selectors.forecast(Decimal("1000.00"), NOV, date(2027, 3, 1)) == Decimal("1000.00")
    # a quarter: 92 days, 54 elapsed on 23 November
    assert selectors.forecast(Decimal("54.00"), Q4, date(2026, 11, 23)) == Decimal("92.00")


def test_kams_are_ranked_by_fulfilment_and_each_role_sees_its_own_rows(company):
    ledger = Ledger()
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 3), "50000.00")
    ledger.sale(company.bob_client, company.bob, date(2026, 11, 3), "120000.00")
    ledger.sale(company.carol_client, company.carol, date(2026, 11, 3), "10.00")
    ledger.save()
    set_plan(company, company.alice, NOV, "100000", 2, 1)
    set_plan(company, company.bob, NOV, "100000", 1, 0)
    today = date(2026, 11, 15)

    head_rows = selectors.kam_rows(company.hannah, NOV, today)
    assert [(getattr(r.kam, "username", None), r.rank, r.sales_share) for r in head_rows] == [
        ("bob", 1, Decimal("1.2")),
        ("alice", 2, Decimal("0.5")),
    ]
    assert head_rows[1].forecast == Decimal("100000.00")
    assert head_rows[1].active_share == Decimal("0.5")

    director_rows = selectors.kam_rows(company.diana, NOV, today)
    assert [getattr(r.kam, "username", None) for r in director_rows] == ["bob", "alice", "carol"]
    assert director_rows[2].rank is None  # no plan: unranked, last

    mine = selectors.kam_rows(company.alice, NOV, today)
    assert [(getattr(r.kam, "username", None), r.rank, r.of) for r in mine] == [("alice", 2, 2)]
    assert selectors.kam_rows(company.sam, NOV, today) == []
    assert selectors.kam_rows(company.adam, NOV, today) == []


def test_department_plan_is_the_sum_of_kam_plans_unless_it_has_its_own_figure(company):
    set_plan(company, company.alice, NOV, "100000.00", 3, 1)
    set_plan(company, company.bob, NOV, "50000.50", 2, 2)
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 3), "75000.25").save()
    rows = selectors.kam_rows(company.hannah, NOV, date(2026, 11, 30))
    (north,) = selectors.department_rows(company.hannah, NOV, rows, date(2026, 11, 30))
    assert (north.plan_sales, north.plan_active, north.plan_new) == (Decimal("150000.50"), 5, 3)
    assert north.sums == {"sales_volume", "active_clients", "new_clients"}
    assert north.actual.sales_volume == Decimal("75000.25")
    assert north.sales_share == Decimal("75000.25") / Decimal("150000.50")

    services.department_plan_set(
        actor=company.hannah,
        department=company.north,
        period=NOV,
        sales_volume=Decimal("200000"),
        active_clients=None,
        new_clients=None,
    )
    (north,) = selectors.department_rows(company.hannah, NOV, rows, date(2026, 11, 30))
    assert (north.plan_sales, north.plan_active) == (Decimal("200000.00"), 5)
    assert north.sums == {"active_clients", "new_clients"}
    assert selectors.department_rows(company.alice, NOV, rows) == []
    director = selectors.department_rows(company.diana, NOV, selectors.kam_rows(company.diana, NOV))
    assert [d.name for d in director] == ["Sales North", "Sales South"]


def test_plans_list_runs_a_constant_number_of_queries(company, login):
    http = login(company.diana)
    url = reverse("planning:plans") + "?period=2026-11"
    set_plan(company, company.alice, NOV, "100")
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 3), "10.00").save()
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    for i in range(5):
        kam = make_user(f"kam{i}", Role.KAM, company.south)
        set_plan(company, kam, NOV, "1000")
    Ledger().sale(company.carol_client, company.carol, date(2026, 11, 4), "20.00").save()
    with CaptureQueriesContext(connection) as many:
        response = http.get(url)
    assert response.status_code == 200
    assert b"Kam4" in response.content
    assert len(many) == len(few)


def test_plan_history_keeps_every_version(company, login):
    first = set_plan(company, company.alice, NOV, "100000", 2, 1)
    services.plan_set(
        actor=company.hannah,
        kam=company.alice,
        period=NOV,
        sales_volume=Decimal("120000"),
        active_clients=2,
        new_clients=1,
        note="Big tender expected",
    )
    set_plan(company, company.alice, NOV, "120000", 2, 1)  # the same figures: no new version
    plan = Plan.objects.get(pk=first.pk)
    assert plan.sales_volume == Decimal("120000.00") and plan.set_by == company.hannah
    versions = list(
        plan.changes.order_by("id").values_list("sales_volume", "changed_by__username", "previous")
    )
    assert versions == [
        (Decimal("100000.00"), "diana", {}),
        (
            Decimal("120000.00"),
            "hannah",
            {"sales_volume": "100000.00", "active_clients": 2, "new_clients": 1},
        ),
    ]
    page = login(company.alice).get(reverse("planning:plan_edit", args=[company.alice.pk, "2026-11"]))
    assert page.status_code == 200
    assert b"Big tender expected" in page.content
    assert b'name="sales_volume"' not in page.content  # a KAM reads, doesn't edit


def test_the_plan_card_agrees_with_the_full_rows_for_every_role(company):
    """plan_card() ranks and counts from plain values: the same ranks, pace and sums as kam_rows()."""
    ledger = Ledger()
    ledger.sale(company.alice_client, company.alice, date(2026, 11, 3), "40000.00")
    ledger.sale(company.bob_client, company.bob, date(2026, 11, 3), "40000.00")  # a tie: by name
    ledger.sale(company.carol_client, company.carol, date(2026, 11, 3), "10.00")
    ledger.save()
    set_plan(company, company.alice, NOV, "100000", 2, 1)
    set_plan(company, company.bob, NOV, "100000", 1, 0)
    set_plan(company, company.carol, NOV, "30", 1, 1)
    services.department_plan_set(
        actor=company.diana,
        department=company.north,
        period=NOV,
        sales_volume=None,
        active_clients=9,
        new_clients=None,
    )
    today = date(2026, 11, 15)

    def described(rows):
        return [(r.name, r.rank, r.of, r.plan_sales, r.forecast, r.behind_pace) for r in rows]

    for user in (company.alice, company.bob, company.carol, company.hannah, company.diana):
        rows = selectors.kam_rows(user, NOV, today)
        card = selectors.plan_card(user, NOV, today, team_rows=1)
        assert card is not None
        if user.role == Role.KAM:
            assert described([card.mine]) == described(rows)
            continue
        assert card.mine is None
        assert described(card.team) == (described(rows[:1]) if user.role == Role.HEAD else [])
        assert card.team_count == len(rows)
        assert card.behind_count == sum(1 for r in rows if r.behind_pace) > 0
        departments = selectors.department_rows(user, NOV, rows, today)
        assert [
            (d.name, d.plan_sales, d.plan_active, d.plan_new, d.sums, d.behind_pace) for d in card.departments
        ] == [(d.name, d.plan_sales, d.plan_active, d.plan_new, d.sums, d.behind_pace) for d in departments]
    assert selectors.plan_card(company.sam, NOV, today) is None
    assert selectors.plan_card(company.adam, NOV, today) is None
