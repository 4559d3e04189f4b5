import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import Client
from kam.receivables import services
from kam.receivables.models import CollectionAction, CreditNote, Invoice, Payment, PaymentAllocation

from .helpers import d, invoice

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(Invoice.objects.values_list("pk", "amount")),
        list(Payment.objects.values_list("pk", "amount")),
        list(PaymentAllocation.objects.values_list("pk", "amount")),
        list(CreditNote.objects.values_list("pk", "amount")),
        list(CollectionAction.objects.values_list("pk")),
        list(Client.objects.order_by("pk").values_list("credit_limit", flat=True)),
        LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count(),
    )


def test_the_aging_page_shows_buckets_for_finance(company, login):
    invoice(company.alice_client, "1234.50", due_on=d("2026-01-01"))
    response = login(company.fiona).get(reverse("receivables:aging"), {"on": "2026-03-01"})
    assert response.status_code == 200
    assert "Romashka" in response.content.decode()


def test_a_kam_sees_only_own_clients_in_aging(company, login):
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    invoice(company.carol_client, "100.00", due_on=d("2026-01-01"))
    body = login(company.alice).get(reverse("receivables:aging"), {"on": "2026-03-01"}).content.decode()
    assert "Romashka" in body and "Lyutik" not in body


@pytest.mark.parametrize("who", ["sam", "adam"])
def test_sales_support_and_admin_get_no_receivables_pages(company, login, who):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    http = login(getattr(company, who))
    c = company.alice_client.pk
    before = state()
    for url in [
        reverse("receivables:aging"),
        reverse("receivables:aging_export"),
        reverse("receivables:invoices"),
        reverse("receivables:invoice_export"),
        reverse("receivables:payments"),
        reverse("receivables:worklist"),
        reverse("receivables:import"),
        reverse("receivables:client", args=[c]),
        reverse("receivables:statement", args=[c]),
        reverse("receivables:statement_export", args=[c, "pdf"]),
        reverse("receivables:statement_export", args=[c, "xlsx"]),
    ]:
        assert http.get(url).status_code == 403, url
    assert http.get(reverse("receivables:invoice", args=[inv.pk])).status_code == 403
    post = {
        "received_on": "2026-03-01",
        "amount": "10",
        "kind": "call",
        "done_on": "2026-03-01",
        "limit": "1",
    }
    for name in ("payment_record", "credit_note", "action_add", "credit_limit"):
        assert http.post(reverse(f"receivables:{name}", args=[c]), post).status_code == 403
    assert state() == before


def test_a_kam_gets_404_for_another_kams_client_and_nothing_changes(company, login):
    inv = invoice(company.carol_client, "100.00", due_on=d("2026-01-01"))
    http = login(company.alice)
    c = company.carol_client.pk
    before = state()
    for url in [
        reverse("receivables:client", args=[c]),
        reverse("receivables:invoice", args=[inv.pk]),
        reverse("receivables:statement", args=[c]),
        reverse("receivables:statement_export", args=[c, "pdf"]),
        reverse("receivables:statement_export", args=[c, "xlsx"]),
    ]:
        assert http.get(url).status_code == 404, url
    assert (
        http.post(
            reverse("receivables:action_add", args=[c]), {"kind": "call", "done_on": "2026-03-01"}
        ).status_code
        == 404
    )
    assert "Lyutik" not in http.get(reverse("receivables:invoices")).content.decode()
    assert state() == before


@pytest.mark.parametrize("who", ["alice", "hannah"])
def test_kams_and_heads_may_not_record_payments_or_set_limits(company, login, who):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    http = login(getattr(company, who))
    c = company.alice_client.pk
    before = state()
    assert http.get(reverse("receivables:payment_record", args=[c])).status_code == 403
    assert (
        http.post(
            reverse("receivables:payment_record", args=[c]), {"received_on": "2026-03-01", "amount": "10"}
        ).status_code
        == 403
    )
    assert (
        http.post(
            reverse("receivables:credit_note", args=[c]),
            {"issued_on": "2026-03-01", "amount": "10", "reason": "x", "invoice": inv.pk},
        ).status_code
        == 403
    )
    assert http.post(reverse("receivables:credit_limit", args=[c]), {"limit": "5"}).status_code == 403
    assert http.get(reverse("receivables:import")).status_code == 403
    assert state() == before
    assert http.get(reverse("receivables:client", args=[c])).status_code == 200


@pytest.mark.parametrize("who", ["fiona", "diana"])
def test_finance_and_director_record_a_payment_against_an_invoice(company, login, who):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    invoice(company.alice_client, "50.00", due_on=d("2025-12-01"))
    http = login(getattr(company, who))
    response = http.post(
        reverse("receivables:payment_record", args=[company.alice_client.pk]),
        {"received_on": "2026-03-01", "amount": "120.00", "reference": "pp 7", "invoice": inv.pk},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert [(a.invoice_id, a.amount) for a in payment.allocations.all()] == [(inv.pk, Decimal("100.00"))]
    http.post(reverse("receivables:credit_limit", args=[company.alice_client.pk]), {"limit": "7000.00"})
    company.alice_client.refresh_from_db()
    assert company.alice_client.credit_limit == Decimal("7000.00")


def test_a_bad_payment_shows_the_reason_and_writes_nothing(company, login):
    inv = invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    http = login(company.fiona)
    before = state()
    response = http.post(
        reverse("receivables:payment_record", args=[company.alice_client.pk]),
        {"received_on": "2026-03-01", "amount": "120.00", "invoice": inv.pk, "invoice_amount": "110.00"},
    )
    assert response.status_code == 200
    assert "more than the open amount" in response.content.decode()
    assert state() == before


def test_a_kam_records_a_call_with_a_promise_to_pay(company, login):
    http = login(company.alice)
    response = http.post(
        reverse("receivables:action_add", args=[company.alice_client.pk]),
        {
            "kind": "call",
            "done_on": "2026-03-01",
            "note": "CFO",
            "promise_to_pay_on": "2026-03-10",
            "promised_amount": "500",
        },
    )
    assert response.status_code == 302
    action = CollectionAction.objects.get()
    assert action.by == company.alice and action.promised_amount == Decimal("500.00")
    body = http.get(reverse("receivables:client", args=[company.alice_client.pk])).content.decode()
    assert "CFO" in body


def test_the_invoice_list_and_aging_use_a_constant_number_of_queries(company, login):
    http = login(company.diana)
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    urls = [
        (reverse("receivables:aging"), {"on": "2026-03-01"}),
        (reverse("receivables:invoices"), {}),
        (reverse("receivables:payments"), {}),
        (reverse("receivables:worklist"), {}),
    ]
    services.payment_record(
        client=company.alice_client,
        received_on=d("2026-01-05"),
        amount=Decimal("10"),
        reference="",
        actor=company.fiona,
    )
    few = []
    for url, params in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(url, params).status_code == 200
        few.append(len(ctx))
    for c in (company.bob_client, company.carol_client):
        for days in (1, 40, 100):
            invoice(c, "10.00", due_on=d("2026-03-01") - timedelta(days=days))
        services.payment_record(
            client=c, received_on=d("2026-01-05"), amount=Decimal("5"), reference="", actor=company.fiona
        )
    many = []
    for url, params in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(url, params).status_code == 200
        many.append(len(ctx))
    assert many == few


def test_exports_are_recorded_in_the_audit_log(company, login):
    invoice(company.alice_client, "100.00", due_on=d("2026-01-01"))
    http = login(company.fiona)
    response = http.get(reverse("receivables:aging_export"), {"on": "2026-03-01", "by": "kam"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = LogEntry.objects.latest("pk")
    assert entry.additional_data["what"] == "aging" and entry.additional_data["rows"] == 1
    assert http.get(reverse("receivables:invoice_export")).status_code == 200
    assert LogEntry.objects.latest("pk").additional_data["what"] == "invoices"


def test_the_statement_pdf_carries_the_clients_cyrillic_name_and_balances(company, login, tmp_path):
    c = company.alice_client
    c.legal_name = 'ООО "Ромашка"'
    c.save()
    invoice(c, "1000.01", due_on=d("2026-02-01"), issued_on=d("2026-01-10"))
    services.payment_record(
        client=c,
        received_on=d("2026-01-20"),
        amount=Decimal("400.00"),
        reference="пп 12",
        actor=company.fiona,
    )
    http = login(company.alice)
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    page = http.get(reverse("receivables:statement", args=[c.pk]), params)
    assert page.status_code == 200
    response = http.get(reverse("receivables:statement_export", args=[c.pk, "pdf"]), params)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "Ромашка" in text
    assert "600.01" in text or "600,01" in text
    assert LogEntry.objects.latest("pk").additional_data["what"] == "reconciliation statement"
    xlsx = http.get(reverse("receivables:statement_export", args=[c.pk, "xlsx"]), params)
    assert xlsx.status_code == 200


def test_the_brief_section_and_widget_show_overdue_debt(company, rf):
    from kam.core import briefs, dashboard

    invoice(company.alice_client, "100.00", due_on=timezone.localdate() - timedelta(days=3))
    assert "receivables" in briefs.registered_names()
    [section] = [
        s for s in briefs.sections_for(company.alice_client, company.alice) if s["name"] == "receivables"
    ]
    assert section["overdue"] == Decimal("100.00") and section["days_overdue"] == 3
    assert not [
        s for s in briefs.sections_for(company.alice_client, company.sam) if s["name"] == "receivables"
    ]
    request = rf.get("/")
    widgets = [
        w
        for w in dashboard.widgets_for(request, company.alice)
        if w["template"] == "receivables/_widget.html"
    ]
    assert widgets[0]["total_overdue"] == Decimal("100.00")
    carol = [
        w
        for w in dashboard.widgets_for(request, company.carol)
        if w["template"] == "receivables/_widget.html"
    ]
    assert carol[0]["rows"] == []
    assert not [
        w for w in dashboard.widgets_for(request, company.sam) if w["template"] == "receivables/_widget.html"
    ]


@pytest.mark.parametrize("who", ["alice", "hannah", "diana", "fiona"])
def test_every_page_renders_for_the_roles_that_see_receivables(company, login, who):
    c = company.alice_client
    inv = invoice(c, "100.00", due_on=d("2026-01-01"))
    services.payment_record(
        client=c, received_on=d("2026-01-05"), amount=Decimal("150"), reference="pp", actor=company.fiona
    )
    services.credit_note_create(
        client=c, amount=Decimal("5"), issued_on=d("2026-01-06"), reason="bonus", actor=company.fiona
    )
    services.collection_action_add(
        client=c, invoice=inv, kind="reminder", done_on=d("2026-01-07"), actor=company.alice, note="sent"
    )
    http = login(getattr(company, who))
    for url in [
        reverse("receivables:aging"),
        reverse("receivables:aging") + "?by=kam",
        reverse("receivables:aging") + "?by=department&on=bad-date",
        reverse("receivables:invoices") + "?state=overdue&q=T-",
        reverse("receivables:invoice", args=[inv.pk]),
        reverse("receivables:payments"),
        reverse("receivables:worklist"),
        reverse("receivables:client", args=[c.pk]),
        reverse("receivables:statement", args=[c.pk]),
        reverse("receivables:statement", args=[c.pk]) + "?start=2026-02-01&end=2026-01-01",
        reverse("home"),
    ]:
        assert http.get(url).status_code == 200, url
    finance = who in ("diana", "fiona")
    assert http.get(reverse("receivables:payment_record", args=[c.pk])).status_code == (
        200 if finance else 403
    )
    assert http.get(reverse("receivables:credit_note", args=[c.pk])).status_code == (200 if finance else 403)
    assert http.get(reverse("receivables:import")).status_code == (200 if finance else 403)
