"""Excel/CSV exports of the opportunities and the weighted forecast (audited), and the KAM's widget."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.pipeline import services

pytestmark = pytest.mark.django_db


def opp(company, client=None, **extra):
    client = client or company.alice_client
    fields = {"title": "Pumps", "amount": Decimal("1000.00"), "expected_on": date(2026, 3, 15), **extra}
    return services.opportunity_create(actor=client.owner, client=client, **fields)


def test_the_opportunities_export_is_cut_to_what_the_user_sees_and_audited(company, login):
    opp(company, title="Alice deal")
    opp(company, client=company.carol_client, title="Carol deal")
    response = login(company.alice).get(reverse("pipeline:export"), {"fmt": "csv"})
    text = response.content.decode("utf-8-sig")
    assert "Alice deal" in text and "Carol deal" not in text
    assert text.splitlines()[0].startswith("Client,Title,Kind,Stage")
    entry = LogEntry.objects.filter(additional_data__what="opportunities").get()
    assert (entry.actor, entry.additional_data["rows"], entry.additional_data["format"]) == (
        company.alice,
        1,
        "csv",
    )
    sheet = load_workbook(BytesIO(login(company.diana).get(reverse("pipeline:export")).content)).active
    assert sheet.max_row == 3


def test_the_forecast_export_has_the_periods_and_a_total_row(company, login):
    opp(company, amount=Decimal("100000.00"), probability=50, expected_on=date(2026, 2, 10))
    response = login(company.hannah).get(
        reverse("pipeline:forecast_export"), {"year": 2026, "period": "quarter"}
    )
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("KAM", "Opportunities", "Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026", "Total")
    assert rows[1][0] == "Alice Test" and rows[1][2] == 50000
    assert rows[-1][0] == "Total" and rows[-1][-1] == 50000


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_support_finance_and_admin_may_not_export_the_pipeline(company, login, who):
    http = login(getattr(company, who))
    assert http.get(reverse("pipeline:export")).status_code == 403
    assert http.get(reverse("pipeline:forecast_export")).status_code == 403
    assert not LogEntry.objects.filter(additional_data__kind="export").exists()


def test_the_kam_widget_lists_next_steps_due_today_or_overdue(company, login):
    today = timezone.localdate()
    opp(company, title="Due today", next_step="Call the CFO", next_step_on=today)
    opp(company, title="Overdue step", next_step="Send the offer", next_step_on=today - timedelta(days=3))
    opp(company, title="Later step", next_step="Visit", next_step_on=today + timedelta(days=1))
    opp(company, client=company.bob_client, title="Bob's step", next_step="Visit", next_step_on=today)
    body = login(company.alice).get(reverse("home")).content.decode()
    assert 'id="pipeline-widget"' in body
    assert "Due today" in body and "Overdue step" in body
    assert "Later step" not in body and "Bob&#x27;s step" not in body and "Bob's step" not in body
    head = login(company.hannah).get(reverse("home")).content.decode()
    assert "Bob" in head and 'id="pipeline-widget"' in head
    assert 'id="pipeline-widget"' not in login(company.sam).get(reverse("home")).content.decode()
