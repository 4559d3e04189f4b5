from __future__ import annotations

import pytest
from django.urls import reverse

from kam.access.models import ApiToken
from kam.ledger.models import LedgerMonthly
from kam.segments import selectors
from kam.segments.models import SegmentProposal

from .helpers import add_months, last_month, trend


def test_the_segment_page_shows_history_forecast_model_and_held_out_error(company, login):
    trend(company.alice_client, 30)
    trend(company.bob_client, 30, start=500_000, slope=10_000)
    body = login(company.diana).get(reverse("segments:detail", args=["large"])).content.decode()
    assert "Holt-Winters" in body
    assert 'id="forecast-table"' in body and 'id="holdout-table"' in body
    assert 'id="mae"' in body and 'id="mape"' in body and "<svg" in body
    # The next month continues the combined trend of 60 000 kop a month.
    series = selectors.segment_series(company.diana, "large")
    data = selectors.segment_forecast(series, "turnover", 3)
    assert series.turnover[-1] == 1_500_000 + 29 * 60_000
    assert data.result.values[0] == pytest.approx(1_500_000 + 30 * 60_000, rel=0.01)
    assert data.forecast_months[0] == add_months(last_month(), 1)
    assert data.result.mape is not None and data.result.mape < 0.01


def test_a_short_history_falls_back_and_says_so(company, login):
    trend(company.alice_client, 4)
    body = login(company.diana).get(reverse("segments:detail", args=["large"])).content.decode()
    assert "Simple exponential smoothing" in body
    assert "Too little history to hold months out" in body


def test_a_kam_sees_the_sales_of_their_own_clients_only(company, login):
    trend(company.alice_client, 12, start=1_000_000, slope=0)
    trend(company.carol_client, 12, start=7_000_000, slope=0)
    alice = selectors.segment_series(company.alice, "large")
    assert set(alice.turnover) == {1_000_000} and set(alice.buyers) == {1}
    director = selectors.segment_series(company.diana, "large")
    assert set(director.turnover) == {8_000_000} and set(director.buyers) == {2}
    body = login(company.alice).get(reverse("segments:list")).content.decode()
    assert "Large" in body


def test_the_current_month_is_left_out_and_empty_months_count_as_zero(company):
    trend(company.alice_client, 6)
    this_month = add_months(last_month(), 1)
    LedgerMonthly.objects.create(
        client=company.alice_client, month=this_month, turnover=1, income=1, lines=1, department=company.north
    )
    LedgerMonthly.objects.filter(client=company.alice_client, month=add_months(last_month(), -2)).delete()
    series = selectors.segment_series(company.diana, "large")
    assert series.months[-1] == last_month() and len(series.months) == 6
    assert series.turnover[-3] == 0 and series.buyers[-3] == 0


def test_who_may_open_segments(company, login):
    for user in (company.sam, company.fiona, company.adam):
        assert login(user).get(reverse("segments:list")).status_code == 403
        assert login(user).get(reverse("segments:detail", args=["large"])).status_code == 403
    assert login(company.alice).get(reverse("segments:detail", args=["giant"])).status_code == 404
    body = login(company.alice).get(reverse("segments:detail", args=["small"])).content.decode()
    assert "No sales in this segment" in body


def test_proposals_are_made_by_kams_and_decided_by_their_head_only(company, login):
    alice = login(company.alice)
    alice.post(
        reverse("segments:proposal_add", args=["large"]),
        {
            "title": "Add the 20 l canister",
            "products": "CAN-20",
            "price_change_pct": "-3.5",
            "text": "Competitor",
        },
    )
    proposal = SegmentProposal.objects.get()
    assert (proposal.author, proposal.segment, proposal.status) == (company.alice, "large", "open")
    decide = reverse("segments:proposal_decide", args=[proposal.pk])
    assert alice.post(decide, {"accept": "1"}).status_code == 403
    assert login(company.hugo).post(decide, {"accept": "1"}).status_code == 404  # another department
    assert login(company.carol).post(decide, {"accept": "1"}).status_code == 404
    assert (
        login(company.sam).post(reverse("segments:proposal_add", args=["large"]), {"title": "x"}).status_code
        == 403
    )
    proposal.refresh_from_db()
    assert proposal.status == "open" and proposal.decided_by is None and SegmentProposal.objects.count() == 1
    login(company.hannah).post(decide, {"accept": "0", "note": "Not this year"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
        "declined",
        company.hannah,
        "Not this year",
    )
    body = login(company.carol).get(reverse("segments:detail", args=["large"])).content.decode()
    assert "Add the 20 l canister" not in body


def test_pages_take_a_constant_number_of_queries(company, login, django_assert_max_num_queries):
    trend(company.alice_client, 26)
    diana = login(company.diana)
    for i in range(3):
        SegmentProposal.objects.create(segment="large", author=company.alice, title=f"P{i}")
    diana.get(reverse("segments:detail", args=["large"]))
    with django_assert_max_num_queries(14) as few:
        diana.get(reverse("segments:detail", args=["large"]))
    for i in range(3, 20):
        SegmentProposal.objects.create(segment="large", author=company.bob, title=f"P{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        diana.get(reverse("segments:detail", args=["large"]))
    with django_assert_max_num_queries(12):
        diana.get(reverse("segments:list"))


def test_the_api_gives_segments_forecasts_and_proposals(company, client):
    trend(company.alice_client, 15)
    _token, raw = ApiToken.issue(company.alice, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listing = client.get("/api/segments", **auth).json()
    assert [s["segment"] for s in listing] == ["large", "medium", "small", "public"]
    answer = client.get("/api/segments/large/forecast", {"horizon": 2}, **auth).json()
    assert answer["model"] == "holt" and len(answer["forecast"]) == 2 and len(answer["holdout"]) == 3
    assert answer["mae"] is not None
    assert client.get("/api/segments/giant/forecast", **auth).status_code == 404
    created = client.post(
        "/api/segments/large/proposals", {"title": "Cut price 2 %"}, content_type="application/json", **auth
    )
    assert created.status_code == 201 and created.json()["status"] == "open"
    assert client.get("/api/segments/large/proposals", **auth).json()["count"] == 1
    _t, sam = ApiToken.issue(company.sam, "test")
    assert client.get("/api/segments", HTTP_AUTHORIZATION=f"Bearer {sam}").status_code == 403


def test_the_segment_export_holds_history_and_forecast_and_is_audited(company, login):
    import csv
    import io

    from auditlog.models import LogEntry
    from openpyxl import load_workbook

    trend(company.alice_client, 8)
    diana = login(company.diana)
    response = diana.get(reverse("segments:export", args=["large"]), {"fmt": "csv", "horizon": "2"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Kind", "Turnover, RUB", "Income, RUB", "Buying clients"]
    assert [r[1] for r in rows[1:]] == ["actual"] * 8 + ["forecast"] * 2
    assert rows[1][2:] == ["10000.00", "2000.00", "1"]
    assert rows[9][0] == add_months(last_month(), 1).isoformat()
    assert float(rows[9][2]) == pytest.approx(10000 + 8 * 500, rel=0.02)
    sheet = load_workbook(io.BytesIO(diana.get(reverse("segments:export", args=["large"])).content)).active
    assert len(list(sheet.values)) == 1 + 8 + 3
    assert LogEntry.objects.filter(additional_data__kind="export").count() == 2
    assert login(company.sam).get(reverse("segments:export", args=["large"])).status_code == 403
