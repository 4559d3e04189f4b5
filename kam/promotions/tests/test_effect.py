"""The effect of a programme on a hand-made ledger; every expected figure is worked out by hand below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.core.testing import make_client
from kam.promotions import selectors, services
from kam.promotions.selectors import Windows

from .helpers import promotion, sale

TODAY = date(2025, 6, 15)


@pytest.fixture
def book(company):
    """Romashka and Vasilek (large, North) take part; Kolokolchik (large, North) is the control;
    Lyutik (large, South) and Oduvanchik (small, North) are not comparable."""
    kolokolchik = make_client(company.alice, "7710140679", "Kolokolchik")
    oduvanchik = make_client(
        company.bob,
        "5003052454",
        "Oduvanchik",
    )
    oduvanchik.segment = "small"
    oduvanchik.save()
    r, v, lyutik = company.alice_client, company.bob_client, company.carol_client
    # Romashka: before (Jan+Feb) 2 000,00 ₽, during (Mar+Apr) 3 000,00 ₽; March split over two managers.
    sale(r, date(2025, 1, 1), 100_000)
    sale(r, date(2025, 2, 1), 100_000)
    sale(r, date(2025, 3, 1), 100_000)
    sale(r, date(2025, 3, 1), 50_000, manager=company.bob)
    sale(r, date(2025, 4, 1), 150_000)
    # Vasilek: before 1 000,00 ₽, during 1 000,00 ₽; December and May lie outside both windows.
    sale(v, date(2024, 12, 1), 999_999)
    sale(v, date(2025, 1, 1), 50_000)
    sale(v, date(2025, 2, 1), 50_000)
    sale(v, date(2025, 3, 1), 60_000)
    sale(v, date(2025, 4, 1), 40_000)
    sale(v, date(2025, 5, 1), 999_999)
    # Control: before 1 000,00 ₽ (January only), during 1 100,00 ₽ (April only).
    sale(kolokolchik, date(2025, 1, 1), 100_000)
    sale(kolokolchik, date(2025, 4, 1), 110_000)
    # Not comparable: must not move any figure.
    sale(lyutik, date(2025, 3, 1), 5_000_000)
    sale(oduvanchik, date(2025, 3, 1), 7_000_000)
    p = promotion(company.diana, starts_on=date(2025, 3, 1), ends_on=date(2025, 4, 30))
    services.participants_add(actor=company.diana, promotion_id=p.pk, clients=[r, v])
    return p, kolokolchik


def test_difference_in_differences_by_hand(company, book):
    p, _ = book
    effect = selectors.promotion_effect(company.diana, p, today=TODAY)
    assert effect is not None
    w = effect.windows
    assert (w.during_from, w.during_to, w.before_from, w.before_to, w.months, w.partial) == (
        date(2025, 3, 1),
        date(2025, 4, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
        2,
        False,
    )
    part, ctrl = effect.participants, effect.control
    # Participants: 2 clients; before 200 000 + 100 000 = 300 000 kop; during 300 000 + 100 000 = 400 000 kop.
    assert (part.clients, part.buyers_before, part.buyers_during) == (2, 2, 2)
    assert (part.turnover_before, part.turnover_during) == (300_000, 400_000)
    assert (part.income_before, part.income_during) == (30_000, 40_000)
    # Control: Kolokolchik alone, 100 000 → 110 000 kop.
    assert (ctrl.clients, ctrl.buyers_before, ctrl.buyers_during) == (1, 1, 1)
    assert (ctrl.turnover_before, ctrl.turnover_during) == (100_000, 110_000)
    t = effect.turnover
    # Per client: participants +100 000 / 2 = +50 000; control +10 000 / 1;
    # DiD 40 000 per client, 80 000 over both participants.
    assert t.participant_change_per_client == Decimal(50_000)
    assert t.control_change_per_client == Decimal(10_000)
    assert t.did_per_client == Decimal(40_000)
    assert t.did_total == Decimal(80_000)
    # In %: 100 000 / 300 000 = 33.33 %; 10 000 / 100 000 = 10.00 %; 23.33 percentage points.
    assert (t.participant_change_pct, t.control_change_pct, t.did_pct) == (
        Decimal("33.33"),
        Decimal("10.00"),
        Decimal("23.33"),
    )
    i = effect.income
    assert (i.did_per_client, i.did_total, i.did_pct) == (Decimal(4_000), Decimal(8_000), Decimal("23.33"))


def test_the_effect_takes_three_queries_whatever_the_ledger(company, book, django_assert_max_num_queries):
    p, _ = book
    with django_assert_max_num_queries(3):
        selectors.promotion_effect(company.diana, p, today=TODAY)


def test_an_empty_control_group_gives_figures_but_no_difference(company, book):
    p, kolokolchik = book
    services.participants_add(actor=company.diana, promotion_id=p.pk, clients=[kolokolchik])
    effect = selectors.promotion_effect(company.diana, p, today=TODAY)
    assert effect is not None
    assert effect.control.clients == 0 and effect.control.turnover_before == 0
    assert effect.participants.clients == 3
    assert effect.participants.turnover_before == 400_000 and effect.participants.turnover_during == 510_000
    assert effect.turnover.control_change_per_client is None
    assert effect.turnover.did_per_client is None and effect.turnover.did_pct is None
    assert effect.turnover.participant_change_pct == Decimal("27.50")


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "expected"),
    [
        # Whole months: the last day of one month and the first of the next touch two months.
        (
            date(2025, 3, 31),
            date(2025, 4, 1),
            (date(2025, 3, 1), date(2025, 4, 1), date(2025, 1, 1), date(2025, 2, 1)),
        ),
        # A period within one month is that month against the month before, across a year boundary.
        (
            date(2025, 1, 1),
            date(2025, 1, 31),
            (date(2025, 1, 1), date(2025, 1, 1), date(2024, 12, 1), date(2024, 12, 1)),
        ),
        # A whole year against the year before.
        (
            date(2024, 1, 1),
            date(2024, 12, 31),
            (date(2024, 1, 1), date(2024, 12, 1), date(2023, 1, 1), date(2023, 12, 1)),
        ),
    ],
)
def test_windows_at_month_boundaries(starts_on, ends_on, expected):
    p = type("P", (), {"starts_on": starts_on, "ends_on": ends_on})()
    w = Windows.of(p, today=TODAY)
    assert w is not None
    assert (w.during_from, w.during_to, w.before_from, w.before_to) == expected
    assert not w.partial


def test_a_running_programme_is_measured_so_far_and_a_future_one_not_at_all():
    running = type("P", (), {"starts_on": date(2025, 5, 20), "ends_on": date(2025, 12, 31)})()
    w = Windows.of(running, today=TODAY)
    assert w is not None and w.partial
    assert (w.during_from, w.during_to, w.before_from, w.before_to) == (
        date(2025, 5, 1),
        date(2025, 6, 1),
        date(2025, 3, 1),
        date(2025, 4, 1),
    )
    future = type("P", (), {"starts_on": date(2025, 7, 1), "ends_on": date(2025, 7, 31)})()
    assert Windows.of(future, today=TODAY) is None


def test_boundary_months_with_the_ledger(company, book):
    """Ending on 1 May takes May in: Vasilek's May sale joins the programme months.

    Starting on 30 April, the window before is February and March."""
    p, _ = book
    services.promotion_update(
        actor=company.diana,
        promotion_id=p.pk,
        data={"starts_on": date(2025, 4, 30), "ends_on": date(2025, 5, 1)},
    )
    p.refresh_from_db()
    effect = selectors.promotion_effect(company.diana, p, today=TODAY)
    assert effect is not None
    # During = April + May: Romashka 150 000, Vasilek 40 000 + 999 999; before = Feb + March.
    assert effect.participants.turnover_during == 150_000 + 40_000 + 999_999
    assert effect.participants.turnover_before == 100_000 + 150_000 + 50_000 + 60_000


def test_a_kam_sees_the_effect_over_their_own_clients_only(company, book):
    p, _ = book
    effect = selectors.promotion_effect(company.alice, p, today=TODAY)
    assert effect is not None
    # Alice serves Romashka (participant) and Kolokolchik (control); Vasilek is Bob's.
    assert effect.participants.clients == 1 and effect.participants.turnover_before == 200_000
    assert effect.control.clients == 1 and effect.control.turnover_during == 110_000


def test_the_page_shows_the_effect_table_and_chart(company, book, login):
    p, _ = book
    body = login(company.diana).get(reverse("promotions:detail", args=[p.pk])).content.decode()
    assert 'id="effect-table"' in body and 'id="did-table"' in body and "<svg" in body
    assert "23.33" in body


def test_the_participants_export_carries_each_clients_figures(company, book, login):
    import csv
    import io

    from auditlog.models import LogEntry
    from openpyxl import load_workbook

    p, _ = book
    diana = login(company.diana)
    response = diana.get(reverse("promotions:participant_export", args=[p.pk]), {"fmt": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Client" and [r[0] for r in rows[1:]] == ["Romashka", "Vasilek"]
    assert rows[1][5:] == ["2000.00", "3000.00", "200.00", "300.00"]
    assert rows[2][5:7] == ["1000.00", "1000.00"]
    sheet = load_workbook(
        io.BytesIO(diana.get(reverse("promotions:participant_export", args=[p.pk])).content)
    ).active
    values = list(sheet.values)
    assert values[1][0] == "Romashka" and values[1][6] == 3000
    assert LogEntry.objects.filter(additional_data__kind="export").count() == 2
    # Carol sees no participant and cannot reach the programme at all.
    assert login(company.carol).get(reverse("promotions:participant_export", args=[p.pk])).status_code == 404
    alice_rows = login(company.alice).get(
        reverse("promotions:participant_export", args=[p.pk]), {"fmt": "csv"}
    )
    assert [r[0] for r in csv.reader(io.StringIO(alice_rows.content.decode("utf-8-sig")))][1:] == ["Romashka"]
