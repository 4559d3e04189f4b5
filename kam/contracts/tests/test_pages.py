from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.contracts.models import Claim, Clause, Contract

from .helpers import claim, clause, contract


def _form(client, **overrides):
    today = timezone.localdate()
    data = {
        "client": client.pk,
        "number": "K-7",
        "title": "Framework agreement",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "status": "active",
        "renewal_notice_days": "30",
        "owner": client.owner_id,
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_kam_creates_a_contract_for_their_client_and_sees_it(company, login):
    browser = login(company.alice)
    response = browser.post(
        reverse("contracts:new") + f"?client={company.alice_client.pk}", _form(company.alice_client)
    )
    c = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("contracts:detail", args=[c.pk])
    assert c.client == company.alice_client and c.owner == company.alice
    body = browser.get(reverse("contracts:detail", args=[c.pk])).content.decode()
    assert "K-7" in body and "Framework agreement" in body


def test_a_contract_cannot_end_before_it_starts(company, login):
    today = timezone.localdate()
    data = _form(company.alice_client, ends_on=(today - timedelta(days=1)).isoformat())
    response = login(company.alice).post(reverse("contracts:new"), data)
    assert response.status_code == 200
    assert "The contract cannot end before it starts." in response.content.decode()
    assert not Contract.objects.exists()


def test_a_number_is_unique_per_client_with_a_clear_message(company, login):
    contract(company.alice, company.alice_client, number="K-7")
    response = login(company.alice).post(reverse("contracts:new"), _form(company.alice_client, number="k-7"))
    assert response.status_code == 200
    assert "This client already has a contract with number k-7." in response.content.decode()
    assert Contract.objects.count() == 1
    # The same number at another client is fine.
    login(company.diana).post(reverse("contracts:new"), _form(company.carol_client, owner=company.carol.pk))
    assert Contract.objects.count() == 2


def test_editing_keeps_its_own_number(company, login):
    c = contract(company.alice, company.alice_client, number="K-7")
    data = _form(company.alice_client, number="K-7", title="Renamed")
    response = login(company.alice).post(reverse("contracts:edit", args=[c.pk]), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.title == "Renamed"


def test_clauses_are_added_marked_done_and_deleted(company, login):
    c = contract(company.alice, company.alice_client)
    browser = login(company.alice)
    due = timezone.localdate().isoformat()
    browser.post(
        reverse("contracts:clause_add", args=[c.pk]),
        {"text": "Pay bonus", "obligation_of": "us", "due_on": due},
    )
    cl = Clause.objects.get()
    assert cl.due_on == timezone.localdate() and cl.done_on is None
    browser.post(reverse("contracts:clause_done", args=[cl.pk]))
    cl.refresh_from_db()
    assert cl.done_on == timezone.localdate()
    body = browser.get(reverse("contracts:detail", args=[c.pk])).content.decode()
    assert "data-confirm=" in body
    browser.post(reverse("contracts:clause_delete", args=[cl.pk]))
    assert not Clause.objects.exists()


def test_carol_cannot_see_or_change_alices_contracts(company, login):
    c = contract(company.alice, company.alice_client, number="A-1")
    cl = clause(company.alice, c, due_on=timezone.localdate())
    browser = login(company.carol)
    assert browser.get(reverse("contracts:detail", args=[c.pk])).status_code == 404
    assert browser.get(reverse("contracts:edit", args=[c.pk])).status_code == 404
    assert (
        browser.post(
            reverse("contracts:edit", args=[c.pk]), _form(company.alice_client, title="X")
        ).status_code
        == 404
    )
    assert (
        browser.post(
            reverse("contracts:clause_add", args=[c.pk]), {"text": "x", "obligation_of": "us"}
        ).status_code
        == 404
    )
    assert browser.post(reverse("contracts:clause_done", args=[cl.pk])).status_code == 404
    assert browser.post(reverse("contracts:clause_delete", args=[cl.pk])).status_code == 404
    assert browser.get(reverse("contracts:new") + f"?client={company.alice_client.pk}").status_code == 404
    assert (
        browser.post(
            reverse("contracts:new") + f"?client={company.alice_client.pk}",
            _form(company.alice_client, number="Z"),
        ).status_code
        == 404
    )
    assert browser.post(reverse("contracts:new"), _form(company.alice_client, number="Z")).status_code == 404
    assert "A-1" not in browser.get(reverse("contracts:list")).content.decode()
    c.refresh_from_db()
    cl.refresh_from_db()
    assert c.title == "Supply agreement" and cl.done_on is None
    assert Contract.objects.count() == 1 and Clause.objects.count() == 1


def test_sales_support_and_finance_have_no_contracts(company, login):
    c = contract(company.alice, company.alice_client)
    for user in (company.sam, company.fiona):
        browser = login(user)
        assert browser.get(reverse("contracts:list")).status_code == 403
        assert browser.get(reverse("contracts:detail", args=[c.pk])).status_code == 403
        assert (
            browser.post(reverse("contracts:new"), _form(company.alice_client, number="S")).status_code == 403
        )
        assert browser.get(reverse("contracts:claims")).status_code == 403
        assert 'href="/contracts/"' not in browser.get("/").content.decode()
        browser.logout()
    assert Contract.objects.count() == 1


def test_the_contract_list_filters_and_costs_the_same_queries_for_more_rows(company, login):
    browser = login(company.diana)
    contract(company.alice, company.alice_client, number="A-1")
    url = reverse("contracts:list")
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        assert browser.get(url).status_code == 200
    for i in range(12):
        c = contract(company.bob, company.bob_client, number=f"B-{i}", status="draft" if i % 2 else "active")
        clause(company.bob, c, due_on=timezone.localdate() - timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        body = browser.get(url).content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert "B-11" in body
    body = browser.get(url + "?status=draft&q=Vasilek").content.decode()
    table = body[body.index('id="contracts-table"') :]
    assert "B-1<" in table and "B-2<" not in table and "A-1" not in table


def test_the_dossier_has_contract_and_claim_tabs(company, login):
    contract(company.alice, company.alice_client, number="A-1")
    claim(company.alice, company.alice_client, subject="Late delivery")
    browser = login(company.alice)
    body = browser.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "contracts"])
    ).content.decode()
    assert "A-1" in body and "New contract" in body
    body = browser.get(
        reverse("clients:dossier_tab", args=[company.alice_client.pk, "claims"])
    ).content.decode()
    assert "Late delivery" in body
    assert (
        login(company.carol)
        .get(reverse("clients:dossier_tab", args=[company.alice_client.pk, "claims"]))
        .status_code
        == 404
    )


def test_the_dashboard_shows_overdue_obligations_and_renewals(company, login):
    c = contract(company.alice, company.alice_client, number="A-1", days_left=10)
    clause(company.alice, c, due_on=timezone.localdate() - timedelta(days=3), text="Send the price list")
    body = login(company.alice).get("/").content.decode()
    assert 'id="contracts-widget"' in body and "Send the price list" in body and "1 renewal due" in body
    body = login(company.carol).get("/").content.decode()
    assert "Send the price list" not in body


@pytest.mark.parametrize("read_at_once", [50, 8, 7, 5])
def test_the_dashboard_card_lists_and_counts_overdue_and_due_soon_obligations(
    company, monkeypatch, read_at_once
):
    """One read when it holds them all; counts and due-soon rows from the database when it is full."""
    from kam.contracts import widgets

    monkeypatch.setattr(widgets, "OBLIGATION_ROWS", read_at_once)
    today = timezone.localdate()
    c = contract(company.alice, company.alice_client, number="A-1")
    for offset in (-9, -8, -7, -6, -5, -4, -1, 0, 1, 7, 8):  # 7 overdue; today, +1 and +7 due soon
        clause(company.alice, c, due_on=today + timedelta(days=offset), text=f"Due {offset:+d}")
    done = clause(company.alice, c, due_on=today - timedelta(days=2), text="Done already")
    Clause.objects.filter(pk=done.pk).update(done_on=today)
    clause(company.alice, c, due_on=None, text="Some day")
    other = contract(company.carol, company.carol_client, number="C-1")
    clause(company.carol, other, due_on=today - timedelta(days=1), text="Carol's")

    with CaptureQueriesContext(connection) as queries:
        overdue, overdue_count, soon, soon_count = widgets.obligation_lists(company.alice, today)
    assert [o.text for o in overdue] == ["Due -9", "Due -8", "Due -7", "Due -6", "Due -5"]
    assert overdue_count == 7
    assert [o.text for o in soon] == ["Due +0", "Due +1", "Due +7"] and soon_count == 3
    assert len(queries) == (1 if read_at_once > 10 else 3 if read_at_once == 8 else 4)
    assert widgets.obligation_lists(company.sam, today) == ([], 0, [], 0)


# ------------------------------------------------------------------------------------------- claims


def test_claims_are_registered_listed_overdue_first_and_resolved(company, login):
    today = timezone.localdate()
    browser = login(company.alice)
    data = {
        "client": company.alice_client.pk,
        "kind": "complaint",
        "subject": "Rude driver",
        "registered_on": today.isoformat(),
        "assigned_to": company.alice.pk,
        "deadline": (today + timedelta(days=5)).isoformat(),
        "status": "open",
    }
    assert browser.post(reverse("contracts:claim_new"), data).status_code == 302
    late = claim(
        company.alice,
        company.alice_client,
        subject="Wrong invoice",
        registered_on=today - timedelta(days=9),
        deadline=today - timedelta(days=1),
    )
    body = browser.get(reverse("contracts:claims")).content.decode()
    assert body.index("Wrong invoice") < body.index("Rude driver")
    response = browser.post(reverse("contracts:claim_resolve", args=[late.pk]), {"resolution": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    browser.post(reverse("contracts:claim_resolve", args=[late.pk]), {"resolution": "Credit note issued"})
    late.refresh_from_db()
    assert late.status == "resolved" and late.resolved_on == today and late.resolution == "Credit note issued"
    assert "Wrong invoice" not in browser.get(reverse("contracts:claims")).content.decode()
    assert "Wrong invoice" in browser.get(reverse("contracts:claims") + "?status=all").content.decode()


def test_closing_a_claim_needs_a_resolution(company, login):
    c = claim(company.alice, company.alice_client)
    today = timezone.localdate()
    data = {
        "kind": "claim",
        "subject": c.subject,
        "registered_on": today.isoformat(),
        "assigned_to": company.alice.pk,
        "status": "resolved",
        "resolution": "",
    }
    response = login(company.alice).post(reverse("contracts:claim_edit", args=[c.pk]), data)
    assert "Describe the resolution before closing the claim." in response.content.decode()
    c.refresh_from_db()
    assert c.status == "open"


def test_carol_cannot_see_or_change_alices_claims(company, login):
    c = claim(company.alice, company.alice_client, subject="Secret dispute")
    browser = login(company.carol)
    assert "Secret dispute" not in browser.get(reverse("contracts:claims")).content.decode()
    assert browser.get(reverse("contracts:claim_edit", args=[c.pk])).status_code == 404
    assert (
        browser.post(reverse("contracts:claim_resolve", args=[c.pk]), {"resolution": "x"}).status_code == 404
    )
    assert (
        browser.post(
            reverse("contracts:claim_new") + f"?client={company.alice_client.pk}", {"subject": "x"}
        ).status_code
        == 404
    )
    c.refresh_from_db()
    assert c.status == "open" and Claim.objects.count() == 1


def test_the_claim_list_costs_the_same_queries_for_more_rows(company, login):
    browser = login(company.diana)
    claim(company.alice, company.alice_client)
    url = reverse("contracts:claims")
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        browser.get(url)
    for i in range(10):
        claim(company.bob, company.bob_client, subject=f"Claim {i}")
    with CaptureQueriesContext(connection) as many:
        browser.get(url)
    assert len(many) == len(few)


def test_lists_export_to_excel_and_csv_with_the_filters_and_the_users_scope(company, login):
    contract(company.alice, company.alice_client, number="A-1")
    contract(company.carol, company.carol_client, number="C-1")
    claim(company.alice, company.alice_client, subject="Broken pallets")
    browser = login(company.alice)
    logged = LogEntry.objects.filter(actor=company.alice).count()
    response = browser.get(reverse("contracts:export") + "?fmt=csv")
    body = response.content.decode()
    assert response["Content-Disposition"].endswith('contracts.csv"') and "A-1" in body and "C-1" not in body
    response = browser.get(reverse("contracts:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    body = browser.get(reverse("contracts:claim_export") + "?fmt=csv").content.decode()
    assert "Broken pallets" in body
    assert login(company.sam).get(reverse("contracts:export")).status_code == 403
    assert LogEntry.objects.filter(actor=company.alice).count() == logged + 3


def test_every_form_page_opens(company, login):
    c = contract(company.alice, company.alice_client)
    cl = claim(company.alice, company.alice_client)
    browser = login(company.hannah)
    for url in (
        reverse("contracts:new"),
        reverse("contracts:new") + f"?client={company.alice_client.pk}",
        reverse("contracts:edit", args=[c.pk]),
        reverse("contracts:claim_new"),
        reverse("contracts:claim_edit", args=[cl.pk]),
        reverse("contracts:claim_resolve", args=[cl.pk]),
    ):
        assert browser.get(url).status_code == 200, url
    body = browser.get(reverse("contracts:new")).content.decode()
    assert 'name="client__q"' in body  # a client picker, never a <select> of every client
    # a head chooses among their department's clients
    assert "Romashka" in browser.get(reverse("clients:pick") + "?q=Romashka").content.decode()
    assert "Lyutik" not in browser.get(reverse("clients:pick") + "?q=Lyutik").content.decode()
