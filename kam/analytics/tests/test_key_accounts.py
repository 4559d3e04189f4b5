"""The analysis run on the system of record: snapshots, movement, the report page and its permissions."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.analytics import services
from kam.analytics.models import AnalysisConfig, Snapshot
from kam.core.testing import make_client
from kam.ledger.models import LedgerMonthly

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)


def sell(client, income_rub, *, month=MONTH, turnover_rub=None, manager=None):
    LedgerMonthly.objects.create(
        client=client,
        manager=manager or client.owner,
        department=client.department,
        month=month,
        turnover=(turnover_rub if turnover_rub is not None else income_rub * 4) * 100,
        income=income_rub * 100,
        lines=1,
    )


@pytest.fixture
def book(company):
    """Income: Romashka 600, Vasilek 300, Lyutik 100 → 60 %, 30 %, 10 % of 1 000."""
    sell(company.alice_client, 600)
    sell(company.bob_client, 300)
    sell(company.carol_client, 100)
    return company


def test_a_run_stores_a_snapshot_with_exact_shares_and_classes(book):
    snapshot = services.analysis_run(actor=book.diana)
    assert snapshot.status == "done", snapshot.error
    rows = {r.client.short_name: r for r in snapshot.clients.select_related("client")}
    assert snapshot.total_basis == 100_000
    assert rows["Romashka"].share == Decimal("0.6") and rows["Romashka"].is_critical
    assert rows["Vasilek"].share == Decimal("0.3") and rows["Vasilek"].is_critical
    assert rows["Lyutik"].share == Decimal("0.1") and rows["Lyutik"].is_key and not rows["Lyutik"].is_critical
    assert [rows[n].abc for n in ("Romashka", "Vasilek", "Lyutik")] == ["A", "A", "B"]
    assert rows["Lyutik"].reasons[0]["code"] == "share"


def test_the_directors_thresholds_apply_to_the_next_run(book):
    services.config_update(actor=book.diana, key_share=Decimal("0.15"), critical_share=Decimal("0.50"))
    snapshot = services.analysis_run(actor=book.diana)
    rows = {r.client.short_name: r for r in snapshot.clients.select_related("client")}
    assert not rows["Lyutik"].is_key_any
    assert rows["Romashka"].is_critical and not rows["Vasilek"].is_critical
    assert Decimal(snapshot.settings["key_share"]) == Decimal("0.15")


def test_inconsistent_thresholds_are_refused_and_nothing_changes(book):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.config_update(actor=book.diana, key_share=Decimal("0.30"), critical_share=Decimal("0.20"))
    config = AnalysisConfig.current()
    assert (config.key_share, config.critical_share) == (Decimal("0.10"), Decimal("0.20"))


def test_an_empty_ledger_gives_a_clear_message(company):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="ledger is empty"):
        services.analysis_run(actor=company.diana)
    assert Snapshot.objects.count() == 0


def test_the_period_is_the_configured_months_ending_with_the_last_ledger_month(book):
    sell(book.carol_client, 5000, month=date(2025, 1, 1))  # 22 months before: outside 12 months
    snapshot = services.analysis_run(actor=None)
    assert (snapshot.period_start, snapshot.period_end) == (date(2025, 11, 1), MONTH)
    assert snapshot.total_basis == 100_000


def test_the_client_attributes_make_a_client_key_by_other_definitions(book):
    book.carol_client.is_reference = True
    book.carol_client.save()
    services.config_update(actor=book.diana, key_share=Decimal("0.15"), critical_share=Decimal("0.50"))
    row = services.analysis_run(actor=None).clients.get(client=book.carol_client)
    assert row.is_key_any and [r["code"] for r in row.reasons] == ["reference"]


def test_movement_since_the_previous_run(book):
    services.analysis_run(actor=None)
    sell(book.carol_client, 2000, month=date(2026, 9, 1))  # Lyutik jumps to 2 100 of 3 000 = 70 %
    later = services.analysis_run(actor=None)
    from kam.analytics import selectors

    moves = selectors.movement(book.diana, later, selectors.previous_snapshot(later))
    assert "became_critical" in moves[book.carol_client.pk]
    assert "entered_a" in moves[book.carol_client.pk]


def test_a_kam_sees_only_the_rows_of_own_clients(book, login):
    services.analysis_run(actor=None)
    page = login(book.alice).get(reverse("analytics:key_accounts"))
    assert page.status_code == 200
    assert [r.client.short_name for r in page.context["page"]] == ["Romashka"]
    export = login(book.alice).get(reverse("analytics:export"))
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Romashka"]


def test_a_head_sees_the_department_and_its_level(book, login):
    services.analysis_run(actor=None)
    browser = login(book.hannah)
    page = browser.get(reverse("analytics:key_accounts"))
    assert sorted(r.client.short_name for r in page.context["page"]) == ["Romashka", "Vasilek"]
    page = browser.get(reverse("analytics:key_accounts"), {"level": "department", "scope": book.north.pk})
    shares = {r.client.short_name: r.share for r in page.context["page"]}
    assert shares == {"Romashka": Decimal("0.666667"), "Vasilek": Decimal("0.333333")}


def test_a_client_key_for_its_manager_but_not_for_the_company(company):
    sell(company.alice_client, 10_000)
    small = make_client(company.bob, "7728168971", "Small")
    sell(company.bob_client, 950)
    sell(small, 50)  # 50 of 11 000 company-wide, but 5 % of bob's 1 000 → not key; 950 → 95 % mono for bob
    snapshot = services.analysis_run(actor=None)
    vasilek = snapshot.clients.get(client=company.bob_client)
    assert not vasilek.is_key_any
    assert company.bob.pk in vasilek.key_for_managers
    scope = snapshot.scope_rows.get(scope="manager", scope_id=company.bob.pk, client=company.bob_client)
    assert scope.is_mono


def test_support_finance_and_admin_cannot_open_the_report(book, login):
    services.analysis_run(actor=None)
    for user in (book.sam, book.fiona, book.adam):
        browser = login(user)
        assert browser.get(reverse("analytics:key_accounts")).status_code == 403
        assert browser.get(reverse("analytics:export")).status_code == 403
        assert browser.get(reverse("analytics:concentration")).status_code == 403


def test_only_heads_and_the_director_run_the_analysis(book, login):
    before = Snapshot.objects.count()
    assert login(book.alice).post(reverse("analytics:run")).status_code == 403
    assert Snapshot.objects.count() == before
    response = login(book.hannah).post(reverse("analytics:run"))
    assert response.status_code == 302
    assert Snapshot.objects.get().status == "done"


def test_only_the_director_changes_thresholds(book, login):
    data = {
        "basis": "income",
        "period_months": 12,
        "key_share": "0.05",
        "critical_share": "0.20",
        "mono_share": "0.70",
        "abc_a": "0.80",
        "abc_b": "0.95",
        "xyz_x": "0.25",
        "xyz_y": "0.50",
        "horizon_years": 3,
        "discount_rate": "0.15",
    }
    assert login(book.hannah).post(reverse("analytics:settings"), data).status_code == 403
    assert AnalysisConfig.current().key_share == Decimal("0.10")
    assert login(book.diana).post(reverse("analytics:settings"), data).status_code == 302
    assert AnalysisConfig.current().key_share == Decimal("0.05")
    bad = {**data, "abc_a": "0.99", "abc_b": "0.95"}
    page = login(book.diana).post(reverse("analytics:settings"), bad)
    assert "ABC" in page.content.decode()
    assert AnalysisConfig.current().abc_a == Decimal("0.80")


def test_concentration_page_shows_the_figures_and_the_chart(book, login):
    services.analysis_run(actor=None)
    page = login(book.diana).get(reverse("analytics:concentration"))
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "HHI" in body
    assert page.context["c"]["hhi"] == "4600.00"  # 60² + 30² + 10²


def test_the_dossier_shows_why_the_client_is_key(book, login):
    services.analysis_run(actor=None)
    page = login(book.alice).get(reverse("clients:dossier_tab", args=[book.alice_client.pk, "keyness"]))
    body = page.content.decode()
    assert page.status_code == 200 and "60.00" in body and "critical dependence" in body


def test_the_dashboard_alerts_the_director_to_critical_dependence(book, login):
    services.analysis_run(actor=None)
    body = login(book.diana).get(reverse("home")).content.decode()
    assert "dependence-alerts" in body and "Romashka" in body
    assert "dependence-alerts" not in login(book.alice).get(reverse("home")).content.decode()


def test_the_report_runs_a_constant_number_of_queries(book, login):
    services.analysis_run(actor=None)
    services.analysis_run(actor=None)  # a previous run, so movement is computed both times
    browser = login(book.diana)
    with CaptureQueriesContext(connection) as few:
        browser.get(reverse("analytics:key_accounts"), {"all": "1"})
    for i in range(25):
        sell(make_client(book.carol, "", f"Extra {i}"), 10 + i)
    services.analysis_run(actor=None)
    with CaptureQueriesContext(connection) as many:
        browser.get(reverse("analytics:key_accounts"), {"all": "1"})
    assert len(many) == len(few)


def test_the_analyze_command_prints_and_stores(book, capsys):
    call_command("analyze", "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("rank,client_id,client,")
    assert lines[1].split(",")[2:5] == ["Romashka", "2400.00", "600.00"]
    assert len(lines) == 4
    assert Snapshot.objects.count() == 1


def test_the_analyze_command_explains_an_empty_ledger(company):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ledger is empty"):
        call_command("analyze")
