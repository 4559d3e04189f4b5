import io
import subprocess
from datetime import date
from decimal import Decimal

from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from kam.planning import services
from kam.planning.models import CommissionRules, DepartmentPlan, Plan, PlanChange
from kam.planning.periods import Period

from .helpers import Ledger

NOV = Period("month", date(2026, 11, 1))


def state():
    return (
        list(Plan.objects.order_by("id").values_list()),
        PlanChange.objects.count(),
        list(DepartmentPlan.objects.values_list()),
        LogEntry.objects.count(),
    )


def plan(company, kam, sales="100000"):
    return services.plan_set(
        actor=company.diana, kam=kam, period=NOV, sales_volume=Decimal(sales), active_clients=1, new_clients=1
    )


def test_plans_page_shows_each_role_only_its_kams(company, login):
    url = reverse("planning:plans") + "?period=2026-11"
    page = login(company.alice).get(url).content.decode()
    assert "Alice Test" in page and "Bob Test" not in page and "Carol Test" not in page
    page = login(company.hannah).get(url).content.decode()
    assert "Alice Test" in page and "Bob Test" in page and "Carol Test" not in page
    assert "Sales North" in page and "Sales South" not in page
    page = login(company.diana).get(url).content.decode()
    assert all(name in page for name in ("Alice Test", "Bob Test", "Carol Test", "Sales South"))
    for period in ("2026-Q4", "2026"):
        assert login(company.diana).get(reverse("planning:plans") + f"?period={period}").status_code == 200
    assert login(company.diana).get(reverse("planning:plans") + "?period=junk").status_code == 404


def test_support_finance_and_admin_get_no_plans(company, login):
    for user in (company.sam, company.fiona, company.adam):
        assert login(user).get(reverse("planning:plans")).status_code == 403


def test_a_head_sets_a_plan_through_the_form_and_a_version_is_kept(company, login):
    url = reverse("planning:plan_edit", args=[company.alice.pk, "2026-11"])
    response = login(company.hannah).post(
        url, {"sales_volume": "150000.50", "active_clients": "4", "new_clients": "1", "note": "first"}
    )
    assert response.status_code == 302
    saved = Plan.objects.get(kam=company.alice, period_kind="month", period_start=date(2026, 11, 1))
    assert (saved.sales_volume, saved.active_clients, saved.set_by) == (
        Decimal("150000.50"),
        4,
        company.hannah,
    )
    assert saved.changes.count() == 1


def test_bad_plan_figures_are_refused_with_a_message_and_nothing_changes(company, login):
    plan(company, company.alice)
    before = state()
    url = reverse("planning:plan_edit", args=[company.alice.pk, "2026-11"])
    response = login(company.hannah).post(
        url, {"sales_volume": "-5", "active_clients": "x", "new_clients": "1"}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert state() == before
    bad_period = reverse("planning:plan_edit", args=[company.alice.pk, "2026-13"])
    assert login(company.hannah).get(bad_period).status_code == 404


def test_a_kam_cannot_set_plans_even_their_own(company, login):
    plan(company, company.alice)
    before = state()
    http = login(company.alice)
    own = reverse("planning:plan_edit", args=[company.alice.pk, "2026-11"])
    data = {"sales_volume": "1", "active_clients": "0", "new_clients": "0"}
    assert http.post(own, data).status_code == 403
    assert http.post(reverse("planning:plan_edit", args=[company.bob.pk, "2026-11"]), data).status_code == 404
    dept = reverse("planning:department_plan_edit", args=[company.north.pk, "2026-11"])
    assert http.post(dept, {"sales_volume": "1"}).status_code == 404
    assert state() == before


def test_a_head_cannot_set_another_departments_plans(company, login):
    before = state()
    http = login(company.hugo)
    data = {"sales_volume": "1", "active_clients": "0", "new_clients": "0"}
    assert (
        http.post(reverse("planning:plan_edit", args=[company.alice.pk, "2026-11"]), data).status_code == 404
    )
    dept = reverse("planning:department_plan_edit", args=[company.north.pk, "2026-11"])
    assert http.post(dept, {"sales_volume": "1"}).status_code == 404
    assert state() == before


def test_a_head_sets_the_department_figure_and_empties_it_back_to_the_sum(company, login):
    http = login(company.hannah)
    url = reverse("planning:department_plan_edit", args=[company.north.pk, "2026-Q4"])
    assert (
        http.post(url, {"sales_volume": "900000", "active_clients": "", "new_clients": ""}).status_code == 302
    )
    own = DepartmentPlan.objects.get(department=company.north)
    assert (own.period_kind, own.sales_volume, own.active_clients) == ("quarter", Decimal("900000.00"), None)
    assert http.post(url, {"sales_volume": "", "active_clients": "", "new_clients": ""}).status_code == 302
    assert not DepartmentPlan.objects.exists()


def test_a_kam_opening_bobs_statement_is_refused_and_nothing_changes(company, login):
    Ledger().sale(company.bob_client, company.bob, date(2026, 11, 3), "5000.00").save()
    before = state()
    http = login(company.alice)
    for name in ("planning:statement", "planning:statement_xlsx", "planning:statement_pdf"):
        response = http.get(reverse(name, args=[company.bob.pk, "2026-11"]))
        assert response.status_code == 404
        assert b"Vasilek" not in response.content
    # nor a head of another department, support or finance
    for user in (company.hugo, company.sam, company.fiona, company.adam):
        assert (
            login(user).get(reverse("planning:statement", args=[company.bob.pk, "2026-11"])).status_code
            == 404
        )
    assert state() == before


def test_the_kam_their_head_and_the_director_see_the_statement(company, login):
    Ledger().sale(company.bob_client, company.bob, date(2026, 11, 3), "5000.00").save()
    for user in (company.bob, company.hannah, company.diana):
        response = login(user).get(reverse("planning:statement", args=[company.bob.pk, "2026-11"]))
        assert response.status_code == 200
        assert b"Vasilek" in response.content
    assert LogEntry.objects.filter(additional_data__what="commission statement").count() == 3
    assert login(company.bob).get(reverse("planning:statement_mine")).status_code == 302
    # a quarter is not a statement period
    assert (
        login(company.bob).get(reverse("planning:statement", args=[company.bob.pk, "2026-Q4"])).status_code
        == 404
    )


def test_excel_statement_adds_up_to_the_kopeck(company, login):
    ledger = Ledger()
    for day, amount in [(2, "33.30"), (3, "33.29"), (4, "99999.99"), (5, "100000.00"), (6, "1000000.01")]:
        ledger.sale(company.alice_client, company.alice, date(2026, 11, day), amount)
    ledger.save()
    plan(company, company.alice, "1000000")  # 1 200 066.59 / 1 000 000 → factor 1.2
    response = login(company.hannah).get(
        reverse("planning:statement_xlsx", args=[company.alice.pk, "2026-11"])
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    deals, (subtotal, adjustment, total) = rows[:-3], rows[-3:]
    commissions = [Decimal(str(r[-1])) for r in deals]
    assert commissions == [
        Decimal("5.00"),
        Decimal("4.99"),
        Decimal("15000.00"),
        Decimal("12000.00"),
        Decimal("50000.00"),
    ]
    assert sum(commissions) == Decimal(str(subtotal[-1])) == Decimal("77009.99")
    assert Decimal(str(total[-1])) == Decimal("92411.99")  # 92 411.988 half-up
    assert Decimal(str(subtotal[-1])) + Decimal(str(adjustment[-1])) == Decimal(str(total[-1]))
    assert [r[7] for r in deals] == [15, 15, 15, 12, 5]


def test_pdf_statement_carries_the_kams_cyrillic_name(company, login, tmp_path):
    company.alice.first_name, company.alice.last_name = "Алиса", "Иванова"
    company.alice.save()
    Ledger().sale(company.alice_client, company.alice, date(2026, 11, 3), "5000.00").save()
    response = login(company.alice).get(reverse("planning:statement_pdf", args=[company.alice.pk, "2026-11"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Алиса Иванова" in text
    assert "Romashka" in text
    assert "750.00" in text or "750,00" in text


def test_only_the_director_changes_commission_rules(company, login):
    url = reverse("planning:commission_rules")
    before = state()
    assert login(company.hannah).get(url).status_code == 403
    assert login(company.alice).post(url, {"base": "margin"}).status_code == 403
    assert state() == before
    http = login(company.diana)
    assert http.get(url).status_code == 200
    data = {
        "base": "margin",
        "tiers-TOTAL_FORMS": "3", "tiers-INITIAL_FORMS": "0",
        "tiers-0-min_amount": "0", "tiers-0-rate": "10",
        "tiers-1-min_amount": "500000", "tiers-1-rate": "6",
        "tiers-2-min_amount": "", "tiers-2-rate": "",
        "factors-TOTAL_FORMS": "2", "factors-INITIAL_FORMS": "0",
        "factors-0-from_pct": "0", "factors-0-factor": "0.7",
        "factors-1-from_pct": "90", "factors-1-factor": "1",
    }  # fmt: skip
    assert http.post(url, data).status_code == 302
    rules = CommissionRules.current()
    assert rules.base == "margin"
    assert sorted((t.min_amount, t.rate) for t in rules.tiers.all()) == [
        (Decimal("0.00"), Decimal("10.000")),
        (Decimal("500000.00"), Decimal("6.000")),
    ]
    bad = dict(data, **{"tiers-0-min_amount": "1"})
    response = http.post(url, bad)
    assert response.status_code == 200 and b"starting at 0" in response.content
    assert rules.tiers.count() == 2


def test_the_today_page_shows_the_month_plan_by_role(company, login):
    from django.utils import timezone

    today = timezone.localdate()
    month = Period.containing("month", today)
    services.plan_set(
        actor=company.diana, kam=company.alice, period=month, sales_volume=Decimal("1000"), active_clients=1,
        new_clients=0,
    )  # fmt: skip
    Ledger().sale(company.alice_client, company.alice, today, "250.00").save()
    page = login(company.alice).get(reverse("home")).content.decode()
    assert 'id="plan-widget"' in page and "25.0" in page
    page = login(company.hannah).get(reverse("home")).content.decode()
    assert 'id="plan-widget"' in page and "Sales North" in page
    page = login(company.sam).get(reverse("home")).content.decode()
    assert 'id="plan-widget"' not in page


def test_month_close_command_writes_the_statements_the_user_may_see(company, tmp_path):
    import pytest
    from django.core.management import CommandError, call_command

    Ledger().sale(company.bob_client, company.bob, date(2026, 11, 3), "5000.00").save()
    call_command(
        "commission_statements", "--as", "hannah", "--month", "2026-11", "--out", str(tmp_path / "h")
    )
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == [
        "commission-alice-2026-11.pdf",
        "commission-alice-2026-11.xlsx",
        "commission-bob-2026-11.pdf",
        "commission-bob-2026-11.xlsx",
    ]
    sheet = load_workbook(tmp_path / "h" / "commission-bob-2026-11.xlsx").active
    assert Decimal(str(list(sheet.iter_rows(values_only=True))[-1][-1])) == Decimal("750.00")
    call_command(
        "commission_statements",
        "--as",
        "alice",
        "--month",
        "2026-11",
        "--out",
        str(tmp_path / "a"),
        "--format",
        "xlsx",
    )
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["commission-alice-2026-11.xlsx"]
    with pytest.raises(CommandError):
        call_command("commission_statements", "--as", "sam", "--out", str(tmp_path / "s"))
    with pytest.raises(CommandError):
        call_command(
            "commission_statements", "--as", "diana", "--month", "2026-Q4", "--out", str(tmp_path / "s")
        )


def test_department_plans_and_commission_rules_are_traced_in_the_audit_log(company):
    from django.contrib.contenttypes.models import ContentType

    services.department_plan_set(
        actor=company.hannah,
        department=company.north,
        period=NOV,
        sales_volume=Decimal("5"),
        active_clients=None,
        new_clients=None,
    )
    services.commission_rules_update(
        actor=company.diana,
        base="margin",
        tiers=[(Decimal(0), Decimal(10))],
        factors=[(Decimal(0), Decimal(1))],
    )
    for model in (DepartmentPlan, CommissionRules):
        assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).exists()
