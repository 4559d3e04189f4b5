"""Pages, exports, the feed, dossier, brief and dashboard: who sees what; denied writes change nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import icalendar
import openpyxl
import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import Competitor
from kam.core import briefs, dashboard
from kam.tenders import services
from kam.tenders.models import Lot, LotItem, Tender

from .helpers import MSK, lot, submitted, tender

pytestmark = pytest.mark.django_db


def _form(client, **overrides):
    data = {
        "client": client.pk,
        "platform": "44fz",
        "number": "0373-77",
        "title": "Antibiotics for 2027",
        "published_on": "2026-11-20",
        "deadline": "2026-12-10T10:00",
        "time_zone": "Europe/Moscow",
        "kam": client.owner_id,
        "url": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_kam_records_a_tender_for_their_client_with_the_picker(company, login):
    browser = login(company.alice)
    page = browser.get(reverse("tenders:new")).content.decode()
    assert 'name="client__q"' in page and "Vasilek" not in page  # a search box, not a <select> of all
    response = browser.post(reverse("tenders:new"), _form(company.alice_client))
    t = Tender.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tenders:detail", args=[t.pk])
    assert t.client == company.alice_client and t.deadline == datetime(2026, 12, 10, 10, tzinfo=MSK)
    browser.post(
        reverse("tenders:lot_add", args=[t.pk]),
        {"subject": "Lot A", "initial_price": "500", "bid_amount": "450"},
    )
    new_lot = Lot.objects.get()
    browser.post(
        reverse("tenders:item_add", args=[new_lot.pk]),
        {"name": "Cefazolin 1 g", "quantity": "1200", "unit": "vial"},
    )
    assert LotItem.objects.get().lot == new_lot
    detail = browser.get(reverse("tenders:detail", args=[t.pk])).content.decode()
    assert "Lot A" in detail and "Cefazolin 1 g" in detail and "1200" in detail


def test_a_kam_cannot_record_a_tender_for_another_kams_client(company, login):
    browser = login(company.alice)
    response = browser.post(reverse("tenders:new"), _form(company.carol_client))
    assert response.status_code == 200 and "Choose a client" in response.content.decode()
    assert browser.get(reverse("tenders:new") + f"?client={company.carol_client.pk}").status_code == 404
    assert not Tender.objects.exists()


def test_another_kams_tender_is_refused_at_every_door_and_stays_unchanged(company, login):
    t = tender(company.bob, company.bob_client)
    bob_lot = lot(company.bob, t)
    browser = login(company.carol)
    assert browser.get(reverse("tenders:detail", args=[t.pk])).status_code == 404
    assert browser.get(reverse("tenders:edit", args=[t.pk])).status_code == 404
    assert (
        browser.post(reverse("tenders:edit", args=[t.pk]), _form(company.bob_client, title="X")).status_code
        == 404
    )
    assert browser.post(reverse("tenders:status", args=[t.pk]), {"status": "cancelled"}).status_code == 404
    assert browser.post(reverse("tenders:lot_delete", args=[bob_lot.pk])).status_code == 404
    assert (
        browser.post(
            reverse("tenders:lot_add", args=[t.pk]), {"subject": "x", "initial_price": "1"}
        ).status_code
        == 404
    )
    listing = browser.get(reverse("tenders:list")).content.decode()
    assert "Medicines 2027" not in listing
    export = browser.get(reverse("tenders:export") + "?fmt=csv").content.decode("utf-8-sig")
    assert "Medicines 2027" not in export
    t.refresh_from_db()
    assert t.title == "Medicines 2027" and t.status == "preparing" and Lot.objects.count() == 1
    # support and finance have no tenders at all
    assert login(company.sam).get(reverse("tenders:list")).status_code == 403
    assert login(company.fiona).get(reverse("tenders:calendar")).status_code == 403
    assert login(company.adam).get(reverse("tenders:export")).status_code == 403


def test_heads_see_their_department_and_the_director_everything(company, login):
    tender(company.alice, company.alice_client, title="North A")
    tender(company.bob, company.bob_client, title="North B")
    tender(company.carol, company.carol_client, title="South C")
    hannah = login(company.hannah).get(reverse("tenders:list")).content.decode()
    assert "North A" in hannah and "North B" in hannah and "South C" not in hannah
    diana = login(company.diana).get(reverse("tenders:list")).content.decode()
    assert all(name in diana for name in ("North A", "North B", "South C"))


def test_the_list_filters_searches_and_sorts(company, login):
    tender(company.alice, company.alice_client, title="Early", deadline=datetime(2026, 12, 1, 10, tzinfo=MSK))
    late = tender(
        company.alice, company.alice_client, title="Late", deadline=datetime(2026, 12, 20, 10, tzinfo=MSK)
    )
    lot(company.alice, late, subject="Insulin pens")
    browser = login(company.diana)
    url = reverse("tenders:list")
    body = browser.get(url + "?sort=-deadline").content.decode()
    assert body.index("Late") < body.index("Early")
    body = browser.get(url + "?sort=deadline").content.decode()
    assert body.index("Early") < body.index("Late")
    body = browser.get(url + "?q=insulin").content.decode()
    assert "Late" in body and "Early" not in body
    body = browser.get(url + "?from=2026-12-10&to=2026-12-31").content.decode()
    assert "Late" in body and "Early" not in body
    body = browser.get(url + f"?kam={company.bob.pk}").content.decode()
    assert "No tenders match" in body
    body = browser.get(url + "?status=submitted&from=not-a-date").content.decode()
    assert "No tenders match" in body


def _many(company, n: int) -> None:
    for i in range(n):
        t = tender(company.alice, company.alice_client, number=f"N{i}", title=f"T{i}")
        lot(company.alice, t)


def test_the_list_runs_a_constant_number_of_queries(company, login, django_assert_max_num_queries):
    browser = login(company.alice)
    _many(company, 2)
    with django_assert_max_num_queries(20) as few:
        browser.get(reverse("tenders:list"))
    _many(company, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        browser.get(reverse("tenders:list"))
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        browser.get(reverse("tenders:calendar") + "?month=2026-12")


def test_excel_and_csv_exports_read_back_and_are_audited(company, login):
    _t, first = submitted(company.alice, company.alice_client)
    services.lot_set_result(
        user=company.alice, lot=first, data={"result": "lost", "winner_name": "OOO Rival", "reasons": "Price"}
    )
    tender(company.alice, company.alice_client, title="No lots yet")
    tender(company.bob, company.bob_client, title="Bob's secret")
    browser = login(company.alice)
    response = browser.get(reverse("tenders:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Customer" and len(rows) == 3
    lost_row = next(r for r in rows if r[10] == "Amoxicillin 500 mg")
    assert lost_row[0] == "Romashka" and lost_row[11] == 1000000 and lost_row[12] == 950000
    assert lost_row[14] == "OOO Rival" and lost_row[16] == "Price"
    assert isinstance(lost_row[6], datetime) and lost_row[6].hour == 10
    assert not any("Bob's secret" in str(r) for r in rows)
    text = browser.get(reverse("tenders:export") + "?fmt=csv&status=preparing").content.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert [r[4] for r in parsed[1:]] == ["No lots yet"]
    exports = LogEntry.objects.filter(additional_data__kind="export", additional_data__what="tenders")
    assert exports.count() == 2 and exports.filter(actor=company.alice).count() == 2


def test_the_report_shows_win_rate_and_why_we_lost(company, login):
    acme = Competitor.objects.create(name="Acme Pharma")
    won, won_lot = submitted(company.alice, company.alice_client, title="Won one")
    services.lot_set_result(user=company.alice, lot=won_lot, data={"result": "won"})
    services.tender_set_status(user=company.alice, tender=won, status="won")
    for reason in ("Price too high", "Late delivery terms"):
        lost, lost_lot = submitted(company.alice, company.alice_client, title=reason)
        services.lot_set_result(
            user=company.alice,
            lot=lost_lot,
            data={"result": "lost", "winner": acme, "winning_price": Decimal("900000"), "reasons": reason},
        )
        services.tender_set_status(user=company.alice, tender=lost, status="lost")
    browser = login(company.hannah)
    body = browser.get(reverse("tenders:report")).content.decode()
    assert "Acme Pharma" in body and "Price too high" in body and "33.3" in body
    sheet = openpyxl.load_workbook(
        io.BytesIO(browser.get(reverse("tenders:report") + "?fmt=xlsx").content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("Alice Test", 1, 2) and rows[1][3] == pytest.approx(33.3)
    assert rows[2][0] == "Winner: Acme Pharma" and rows[2][5] == 2
    assert "Acme" not in login(company.carol).get(reverse("tenders:report")).content.decode()


def test_the_calendar_feed_lists_only_the_users_tenders_and_can_be_stopped(company, login):
    mine = tender(company.alice, company.alice_client, deadline=timezone.now() + timedelta(days=3))
    tender(company.bob, company.bob_client, title="Bob's", deadline=timezone.now() + timedelta(days=3))
    browser = login(company.alice)
    browser.post(reverse("tenders:feed_new"))
    page = browser.get(reverse("tenders:calendar")).content.decode()
    url = page.split('id="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    path = url.split("testserver", 1)[1]
    body = browser.get(path).content
    cal = icalendar.Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [f"tender-{mine.pk}@kam"]
    assert "Romashka" in str(events[0]["summary"])
    assert events[0].decoded("dtend") == mine.deadline.replace(microsecond=0)
    browser.post(reverse("tenders:feed_revoke"))
    assert browser.get(path).status_code == 404
    assert browser.get(reverse("tenders:feed", args=["guessed-token"])).status_code == 404


def test_a_feed_of_someone_who_lost_the_role_is_gone(company, login):
    _token, raw = services.feed_token_issue(user=company.alice)
    company.alice.role = "sales_support"
    company.alice.save()
    assert login(company.diana).get(reverse("tenders:feed", args=[raw])).status_code == 404


def test_dossier_tab_brief_and_dashboard(company, login):
    soon = tender(
        company.alice, company.alice_client, title="Due soon", deadline=timezone.now() + timedelta(days=2)
    )
    tender(
        company.alice, company.alice_client, title="Far away", deadline=timezone.now() + timedelta(days=30)
    )
    browser = login(company.alice)
    tab = browser.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "tenders"])
    ).content.decode()
    assert "Due soon" in tab and "Far away" in tab
    assert (
        browser.get(reverse("clients:dossier_tab", args=[company.carol_client.pk, "tenders"])).status_code
        == 404
    )
    sections = [s for s in briefs.sections_for(company.alice_client, company.alice) if s["name"] == "tenders"]
    assert sections and sections[0]["open"][0] == soon
    assert not [s for s in briefs.sections_for(company.alice_client, company.carol) if s["name"] == "tenders"]
    request = type("R", (), {"user": company.alice})()
    widgets = [
        w for w in dashboard.widgets_for(request, company.alice) if w["template"] == "tenders/_widget.html"
    ]
    assert [t.title for t in widgets[0]["soon"]] == ["Due soon"]
    assert not [
        w for w in dashboard.widgets_for(request, company.sam) if w["template"] == "tenders/_widget.html"
    ]
    home = browser.get("/").content.decode()
    assert "tenders-widget" in home and "Due soon" in home
