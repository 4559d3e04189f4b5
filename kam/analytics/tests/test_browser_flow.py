"""Issue 3 in a real browser: import a 1C ledger file, run the analysis, read the key-accounts report."""

import pytest

from conftest import screenshot
from kam.analytics.models import Snapshot
from kam.ledger.models import SalesLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ledger_csv(company, path):
    """Romashka buys 600, Vasilek 300, Lyutik 100 (income in roubles) over October 2026, 1C style."""
    rows = ["Код строки;Дата;ИНН;Выручка;Себестоимость"]
    for n, (client, revenue, cost) in enumerate(
        [
            (company.alice_client, "2 400,00", "1 800,00"),
            (company.bob_client, "1 200,00", "900,00"),
            (company.carol_client, "400,00", "300,00"),
        ],
        start=1,
    ):
        rows.append(f"L{n};15.10.2026;{client.tax_number};{revenue};{cost}")
    path.write_bytes("\n".join(rows).encode("cp1251"))
    return path


def test_import_then_analysis_then_report(live_company, page_as, live_server, tmp_path):
    page = page_as(live_company.diana)
    page.goto(f"{live_server.url}/ledger/upload/")
    page.set_input_files("input[type=file]", str(ledger_csv(live_company, tmp_path / "sales-1c.csv")))
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#batch-status >> text=Lines imported")
    assert SalesLine.objects.count() == 3
    screenshot(page, "ledger-import-en")

    page.goto(f"{live_server.url}/analysis/")
    page.click("text=Run analysis now")
    page.wait_for_selector("#report-table")
    assert Snapshot.objects.filter(status="done").count() == 1
    rows = page.locator("#report-table tbody tr")
    assert rows.count() == 3  # 60 %, 30 % and exactly 10 %: all three are key
    first = rows.nth(0).inner_text()
    assert "Romashka" in first and "60.00" in first and "critical" in first
    assert "10.00" in rows.nth(2).inner_text()
    screenshot(page, "key-accounts-en")

    page.click("text=Concentration")
    page.wait_for_selector("svg.svgmap")
    assert "HHI" in page.inner_text("main")
