import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.clients.models import Client, Tag
from kam.core.testing import make_client

pytestmark = pytest.mark.django_db


def test_a_kam_sees_only_own_clients(company, login):
    page = login(company.alice).get(reverse("clients:list"))
    assert page.status_code == 200
    names = [c.short_name for c in page.context["page"]]
    assert names == ["Romashka"]


def test_a_head_sees_the_departments_clients(company, login):
    page = login(company.hannah).get(reverse("clients:list"))
    assert sorted(c.short_name for c in page.context["page"]) == ["Romashka", "Vasilek"]


def test_the_director_sees_everything(company, login):
    page = login(company.diana).get(reverse("clients:list"))
    assert page.context["page"].paginator.count == 3


def test_an_admin_without_business_role_sees_nothing(company, login):
    page = login(company.adam).get(reverse("clients:list"))
    assert page.context["page"].paginator.count == 0
    assert "You have no clients yet" in page.content.decode()


def test_search_finds_by_name_case_insensitively_and_by_inn(company, login):
    browser = login(company.diana)
    assert [c.short_name for c in browser.get(reverse("clients:list"), {"q": "romash"}).context["page"]] == [
        "Romashka"
    ]
    assert [c.short_name for c in browser.get(reverse("clients:list"), {"q": "7736"}).context["page"]] == [
        "Vasilek"
    ]


def test_cyrillic_search_ignores_case(company, login):
    make_client(company.alice, "7728168971", "Ромашка-Юг")
    page = login(company.alice).get(reverse("clients:list"), {"q": "юг"})
    assert [c.short_name for c in page.context["page"]] == ["Ромашка-Юг"]


def test_filters_and_sorting(company, login):
    company.bob_client.status = "dormant"
    company.bob_client.save()
    browser = login(company.diana)
    page = browser.get(reverse("clients:list"), {"status": "dormant"})
    assert [c.short_name for c in page.context["page"]] == ["Vasilek"]
    page = browser.get(reverse("clients:list"), {"sort": "-name"})
    assert [c.short_name for c in page.context["page"]] == ["Vasilek", "Romashka", "Lyutik"]
    page = browser.get(reverse("clients:list"), {"kam": company.carol.pk})
    assert [c.short_name for c in page.context["page"]] == ["Lyutik"]


def test_a_bad_filter_is_ignored_with_a_message(company, login):
    page = login(company.diana).get(reverse("clients:list"), {"status": "nonsense", "kam": "x"})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 3
    assert "Filter ignored" in page.content.decode()


def test_the_list_runs_a_constant_number_of_queries(company, login):
    browser = login(company.diana)
    browser.get(reverse("clients:list"))
    with CaptureQueriesContext(connection) as few:
        browser.get(reverse("clients:list"))
    tag = Tag.objects.create(name="vip")
    for i in range(30):
        c = Client.objects.create(
            legal_name=f"Extra {i}", short_name=f"Extra {i}", owner=company.carol, department=company.south
        )
        c.tags.add(tag)
    with CaptureQueriesContext(connection) as many:
        browser.get(reverse("clients:list"))
    assert len(many) == len(few)


def test_export_follows_the_same_permissions_and_is_audited(company, login):
    from auditlog.models import LogEntry

    response = login(company.alice).get(reverse("clients:export", args=["csv"]))
    body = response.content.decode("utf-8-sig")
    assert "Romashka" in body and "Vasilek" not in body and "Lyutik" not in body
    entry = LogEntry.objects.filter(additional_data__kind="export").get()
    assert entry.actor == company.alice and entry.additional_data["rows"] == 1


def test_excel_export_is_a_workbook(company, login):
    import io

    from openpyxl import load_workbook

    response = login(company.hannah).get(reverse("clients:export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
