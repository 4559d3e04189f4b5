"""Users and deputies lists export to Excel and CSV: the page's rows and filters, its permission, audited."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.access.models import ApiToken, Deputy, Role, User
from kam.core.testing import make_user

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[list[object]]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def exports() -> list[LogEntry]:
    return list(LogEntry.objects.filter(additional_data__kind="export").order_by("pk"))


# ---------------------------------------------------------------------------------------------- users


def test_the_users_page_offers_both_formats_with_its_filters(company, login):
    page = login(company.adam).get(reverse("access:users"), {"role": Role.KAM, "page": "1"})
    html = page.content.decode()
    assert f"{reverse('access:user_export')}?role=kam" in html
    assert "fmt=csv" in html and "page=1&amp;fmt" not in html


def test_users_csv_holds_every_user_and_no_secrets(company, login):
    _token, raw = ApiToken.issue(company.alice, "mine")
    browser = login(company.adam)
    rows = csv_rows(browser.get(reverse("access:user_export"), {"fmt": "csv"}))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["User name", "Last name", "First name"]
    assert "Role" in header and "Active" in header
    assert [r[0] for r in body] == sorted(u.username for u in User.objects.all())
    alice = next(r for r in body if r[0] == "alice")
    assert dict(zip(header, alice, strict=True)) | {"Last login": "", "Joined": ""} == {
        "User name": "alice",
        "Last name": "Test",
        "First name": "Alice",
        "Email": "",
        "Phone": "",
        "Role": "Key account manager",
        "Administrator": "no",
        "Department": "Sales North",
        "Active": "yes",
        "Last login": "",
        "Joined": "",
    }
    adam = next(r for r in body if r[0] == "adam")
    assert adam[header.index("Administrator")] == "yes"
    text = "\n".join(",".join(r) for r in rows)
    assert company.alice.password not in text and "pbkdf2" not in text and "argon2" not in text
    assert raw not in text and raw[4:12] not in text
    assert not any(t.key_hash in text for t in ApiToken.objects.all())


def test_users_xlsx_reads_back_with_openpyxl(company, login):
    rows = xlsx_rows(login(company.adam).get(reverse("access:user_export")))
    assert rows[0][0] == "User name"
    assert len(rows) == 1 + User.objects.count()
    hannah = next(r for r in rows if r[0] == "hannah")
    assert hannah[rows[0].index("Role")] == "Head of department"
    assert hannah[rows[0].index("Department")] == "Sales North"


def test_users_export_keeps_the_pages_filters_and_sort_not_just_one_page(company, login):
    for n in range(60):  # more than one page of 50
        make_user(f"kam{n:02d}", Role.KAM, company.south)
    gone = make_user("zed", Role.KAM, company.south)
    gone.is_active = False
    gone.save()
    browser = login(company.adam)
    query = {"role": Role.KAM, "department": company.south.pk, "active": "1", "sort": "-username"}
    page = browser.get(reverse("access:users"), query).content.decode()
    assert "kam59" in page and "zed" not in page and "alice" not in page
    body = csv_rows(browser.get(reverse("access:user_export"), {**query, "fmt": "csv", "page": "2"}))[1:]
    expected = sorted([f"kam{n:02d}" for n in range(60)] + ["carol"], reverse=True)
    assert [r[0] for r in body] == expected
    by_name = csv_rows(browser.get(reverse("access:user_export"), {"q": "hann", "fmt": "csv"}))[1:]
    assert [r[0] for r in by_name] == ["hannah"]
    inactive = csv_rows(browser.get(reverse("access:user_export"), {"active": "0", "fmt": "csv"}))[1:]
    assert [r[0] for r in inactive] == ["zed"]


def test_the_users_export_is_in_the_audit_log(company, login):
    browser = login(company.adam)
    browser.get(reverse("access:user_export"), {"fmt": "csv", "role": Role.HEAD})
    browser.get(reverse("access:user_export"))
    csv_entry, xlsx_entry = exports()
    assert csv_entry.actor == company.adam
    assert csv_entry.content_type.model == "user"
    assert csv_entry.additional_data["what"] == "users"
    assert csv_entry.additional_data["rows"] == 2
    assert csv_entry.additional_data["format"] == "csv"
    assert csv_entry.additional_data["filters"]["role"] == Role.HEAD
    assert xlsx_entry.additional_data["format"] == "xlsx"
    assert xlsx_entry.additional_data["rows"] == User.objects.count()


@pytest.mark.parametrize("who", ["alice", "hannah", "diana", "fiona"])
def test_only_an_administrator_exports_users(company, login, who):
    browser = login(getattr(company, who))
    before = LogEntry.objects.count()
    for fmt in ("csv", "xlsx"):
        response = browser.get(reverse("access:user_export"), {"fmt": fmt})
        assert response.status_code == 403
        assert b"alice" not in response.content
    assert browser.post(reverse("access:user_export")).status_code in (403, 405)
    assert LogEntry.objects.count() == before


def test_an_anonymous_visitor_is_sent_to_login_and_nothing_is_written(client, company):
    response = client.get(reverse("access:user_export"), {"fmt": "csv"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(reverse("access:deputy_export")).status_code == 302
    assert exports() == []


# -------------------------------------------------------------------------------------------- deputies


@pytest.fixture
def deputyships(company):
    today = timezone.localdate()

    def name(absent: User, deputy: User, start: date, days: int, reason: str) -> Deputy:
        return Deputy.objects.create(
            absent=absent,
            deputy=deputy,
            starts_on=start,
            ends_on=start + timedelta(days=days),
            reason=reason,
            created_by=company.hannah,
        )

    return {
        "now": name(company.alice, company.bob, today - timedelta(days=1), 5, "vacation"),
        "later": name(company.bob, company.alice, today + timedelta(days=30), 3, "training"),
        "before": name(company.alice, company.hannah, today - timedelta(days=40), 2, "sick leave"),
        "south": name(company.carol, company.hugo, today, 1, "fair"),
    }


def test_the_deputies_page_offers_both_formats(company, deputyships, login):
    html = login(company.hannah).get(reverse("access:deputies"), {"when": "current"}).content.decode()
    assert f"{reverse('access:deputy_export')}?when=current" in html
    assert "fmt=csv" in html


def test_deputies_csv_holds_the_heads_own_department_newest_first(company, deputyships, login):
    rows = csv_rows(login(company.hannah).get(reverse("access:deputy_export"), {"fmt": "csv"}))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Absent KAM", "Absent KAM's department", "Deputy", "From", "Until"]
    assert [r[-3] for r in body] == ["training", "vacation", "sick leave"]  # carol's (south) is not hers
    later = dict(zip(header, body[0], strict=True))
    assert later["Absent KAM"] == "Bob Test"
    assert later["Deputy"] == "Alice Test"
    assert later["From"] == deputyships["later"].starts_on.isoformat()
    assert later["State"] == "upcoming"
    assert later["Named by"] == "Hannah Test"
    assert [r[header.index("State")] for r in body] == ["upcoming", "current", "ended"]


def test_deputies_xlsx_reads_back_with_openpyxl(company, deputyships, login):
    rows = xlsx_rows(login(company.diana).get(reverse("access:deputy_export")))
    assert rows[0][0] == "Absent KAM"
    assert len(rows) == 1 + 4  # the director sees every department
    south = next(r for r in rows[1:] if r[6] == "fair")
    assert south[0] == "Carol Test" and south[1] == "Sales South" and south[2] == "Hugo Test"
    starts = south[3]
    assert isinstance(starts, datetime)  # a real Excel date, not text
    assert starts.date() == deputyships["south"].starts_on


def test_deputies_export_keeps_the_pages_filters(company, deputyships, login):
    browser = login(company.diana)

    def reasons(**query: str) -> list[str]:
        rows = csv_rows(browser.get(reverse("access:deputy_export"), {**query, "fmt": "csv"}))
        return [r[6] for r in rows[1:]]

    assert reasons(when="current") == ["fair", "vacation"]
    assert reasons(when="upcoming") == ["training"]
    assert reasons(when="past") == ["sick leave"]
    assert reasons(q="hugo") == ["fair"]
    assert reasons(q="alice", when="past") == ["sick leave"]
    page = browser.get(reverse("access:deputies"), {"q": "hugo"}).content.decode()
    assert "fair" in page and "vacation" not in page


def test_the_deputies_export_is_in_the_audit_log(company, deputyships, login):
    login(company.hannah).get(reverse("access:deputy_export"), {"fmt": "csv", "when": "past"})
    (entry,) = exports()
    assert entry.actor == company.hannah
    assert entry.content_type.model == "deputy"
    assert entry.additional_data["what"] == "deputies"
    assert entry.additional_data["rows"] == 1
    assert entry.additional_data["filters"] == {"fmt": "csv", "when": "past"}


@pytest.mark.parametrize("who", ["alice", "bob", "sam", "fiona", "adam"])
def test_a_kam_and_others_without_the_right_may_not_export_deputies(company, deputyships, login, who):
    browser = login(getattr(company, who))
    before = LogEntry.objects.count()
    for fmt in ("csv", "xlsx"):
        response = browser.get(reverse("access:deputy_export"), {"fmt": fmt})
        assert response.status_code == 403
        assert b"vacation" not in response.content
    assert LogEntry.objects.count() == before
