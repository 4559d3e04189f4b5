"""The pages: list (search, filters, sorting, constant queries), export, detail, PDF, dossier tab, brief,
templates; every door refuses another KAM's client and leaves the database unchanged."""

import io
import os
import subprocess
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from openpyxl import load_workbook

from conftest import ARTIFACTS
from kam.core import briefs
from kam.proposals import services
from kam.proposals.models import Proposal, ProposalLine, ProposalStatus, ProposalTemplate, ProposalVersion

pytestmark = pytest.mark.django_db


def _proposal(company, catalogue, client=None, actor=None, template=None):
    client = client or company.alice_client
    actor = actor or client.owner
    proposal = services.proposal_create(client=client, actor=actor, template=template)
    services.proposal_line_add(
        proposal_id=proposal.pk,
        actor=actor,
        product=catalogue.cement,
        quantity=Decimal("4"),
        discount=Decimal("2"),
    )
    services.proposal_line_add(
        proposal_id=proposal.pk, actor=actor, product=catalogue.brick, quantity=Decimal("250")
    )
    proposal.refresh_from_db()
    return proposal


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_list_searches_filters_and_sorts(company, catalogue, login):
    mine = _proposal(company, catalogue)
    bobs = _proposal(company, catalogue, client=company.bob_client)
    services.proposal_send(proposal_id=bobs.pk, actor=company.bob)
    _proposal(company, catalogue, client=company.carol_client)
    web = login(company.hannah)
    page = web.get("/proposals/").content.decode()
    assert mine.number in page and bobs.number in page and "Lyutik" not in page
    page = web.get("/proposals/?q=vasil").content.decode()
    assert bobs.number in page and mine.number not in page
    page = web.get(f"/proposals/?q={company.alice_client.tax_number}").content.decode()
    assert mine.number in page and bobs.number not in page
    page = web.get("/proposals/?status=sent").content.decode()
    assert bobs.number in page and mine.number not in page
    page = web.get(f"/proposals/?kam={company.alice.pk}").content.decode()
    assert mine.number in page and bobs.number not in page
    page = web.get("/proposals/?sort=number").content.decode()
    assert page.index(mine.number) < page.index(bobs.number)
    page = web.get("/proposals/?sort=-number").content.decode()
    assert page.index(bobs.number) < page.index(mine.number)
    assert web.get("/proposals/?sort=nonsense&kam=abc&page=999").status_code == 200
    assert "No proposals match" in web.get("/proposals/?q=zzzz").content.decode()


def test_the_list_costs_the_same_number_of_queries_for_3_or_30(
    company, catalogue, login, django_assert_max_num_queries
):
    _proposal(company, catalogue)
    web = login(company.diana)
    with django_assert_max_num_queries(30) as few:
        web.get("/proposals/")
    for _ in range(27):
        services.proposal_create(client=company.bob_client, actor=company.bob)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert web.get("/proposals/").status_code == 200


def test_the_excel_and_csv_exports_read_back_and_are_audited(company, catalogue, login):
    mine = _proposal(company, catalogue)
    _proposal(company, catalogue, client=company.carol_client)
    web = login(company.alice)
    response = web.get("/proposals/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    assert [r[0] for r in rows[1:]] == [mine.number]  # only what alice may see
    assert rows[1][2] == "Romashka" and Decimal(str(rows[1][6])) == Decimal("6960.00")
    csv_text = web.get("/proposals/export.csv?status=draft").content.decode("utf-8-sig")
    assert mine.number in csv_text and "Lyutik" not in csv_text
    exports = LogEntry.objects.filter(actor=company.alice, additional_data__kind="export")
    assert sorted(e.additional_data["format"] for e in exports) == ["csv", "xlsx"]
    assert all(e.additional_data["what"] == "proposals" for e in exports)


def test_the_pdf_is_a_business_document(company, catalogue, template, login):
    from kam.proposals.models import Letterhead

    Letterhead.objects.update_or_create(
        pk=1, defaults={"company_name": "ООО «СтройСнаб»", "details": "ИНН 7701234567\nМосква, ул. Ленина, 1"}
    )
    proposal = _proposal(company, catalogue, template=template)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    response = login(company.alice).get(f"/proposals/{proposal.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "proposal.pdf"), "wb") as kept:  # to look at (pdftoppm)
        kept.write(response.content)
    text = _pdf_text(response.content)
    for expected in (
        "ООО «СтройСнаб»",
        "ИНН 7701234567",
        proposal.number,
        'OOO "Romashka"',
        company.alice_client.tax_number,
        "Цемент М500",
        "Кирпич красный",
        "Отсрочка 30 дней",
        "Доставка на объект",
        "Предлагаем вам поставку",
        proposal.valid_until.strftime("%d.%m.%Y"),
        "Alice Test",
        "signature",
    ):
        assert expected in text, expected
    assert "1,960.00" in text  # 500 less 2 % = 490 × 4
    assert "6,960.00" in text  # total with 250 bricks × 20
    assert "DRAFT" not in text


def test_old_versions_stay_viewable_read_only_with_their_own_pdf(company, catalogue, login):
    proposal = _proposal(company, catalogue)
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_line_remove(proposal_id=proposal.pk, actor=company.alice, position=2)
    web = login(company.alice)
    current = web.get(f"/proposals/{proposal.pk}/").content.decode()
    assert 'id="add-line"' in current
    old = web.get(f"/proposals/{proposal.pk}/?version=1").content.decode()
    assert 'id="old-version"' in old and 'id="add-line"' not in old and "Кирпич" in old
    text_v1 = _pdf_text(web.get(f"/proposals/{proposal.pk}/pdf/?version=1").content)
    text_v2 = _pdf_text(web.get(f"/proposals/{proposal.pk}/pdf/").content)
    assert "Кирпич" in text_v1 and "Кирпич" not in text_v2
    assert "DRAFT" in text_v2 and "DRAFT" not in text_v1
    assert web.get(f"/proposals/{proposal.pk}/?version=9").status_code == 404


def test_create_edit_send_accept_through_the_pages(company, catalogue, template, login):
    web = login(company.alice)
    assert web.get(f"/proposals/new/?client={company.alice_client.pk}").status_code == 200
    response = web.post("/proposals/new/", {"client": company.alice_client.pk, "template": template.pk})
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response.url == f"/proposals/{proposal.pk}/"
    web.post(
        f"/proposals/{proposal.pk}/lines/", {"product": catalogue.cement.pk, "quantity": "2", "discount": "1"}
    )
    web.post(f"/proposals/{proposal.pk}/lines/1/", {"quantity": "5", "discount": "1"})
    proposal.refresh_from_db()
    assert proposal.total == Decimal("2475.00")
    web.post(f"/proposals/{proposal.pk}/send/")
    page = web.get(f"/proposals/{proposal.pk}/").content.decode()
    assert 'id="accept"' in page and 'id="add-line"' not in page
    web.post(f"/proposals/{proposal.pk}/reject/", {"reason": ""})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SENT  # a rejection needs its reason
    web.post(f"/proposals/{proposal.pk}/accept/")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.order is not None
    assert f"/orders/{proposal.order_id}/" in web.get(f"/proposals/{proposal.pk}/").content.decode()


def test_a_kam_cannot_pick_another_kams_client(company, login):
    web = login(company.alice)
    response = web.post("/proposals/new/", {"client": company.carol_client.pk})
    assert (
        response.status_code == 200 and "Choose a client from the search results" in response.content.decode()
    )
    assert not Proposal.objects.exists()


def test_every_door_refuses_another_kams_client_and_nothing_changes(company, catalogue, login):
    proposal = _proposal(company, catalogue, client=company.carol_client)
    before = (Proposal.objects.count(), ProposalVersion.objects.count(), ProposalLine.objects.count())
    web = login(company.alice)
    pk = proposal.pk
    for url in (f"/proposals/{pk}/", f"/proposals/{pk}/pdf/", f"/proposals/{pk}/?version=1"):
        assert web.get(url).status_code == 404, url
    for url, data in (
        (f"/proposals/{pk}/lines/", {"product": catalogue.cement.pk, "quantity": "1"}),
        (f"/proposals/{pk}/lines/1/", {"quantity": "9"}),
        (f"/proposals/{pk}/lines/1/remove/", {}),
        (f"/proposals/{pk}/update/", {"column": "2", "valid_until": "2099-01-01"}),
        (f"/proposals/{pk}/send/", {}),
        (f"/proposals/{pk}/accept/", {}),
        (f"/proposals/{pk}/reject/", {"reason": "x"}),
        (f"/proposals/{pk}/revise/", {}),
        (f"/proposals/{pk}/order/", {}),
    ):
        assert web.post(url, data).status_code == 404, url
    rows = list(
        load_workbook(io.BytesIO(web.get("/proposals/export.xlsx").content)).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 1
    assert proposal.number not in web.get("/proposals/export.csv").content.decode("utf-8-sig")
    assert (Proposal.objects.count(), ProposalVersion.objects.count(), ProposalLine.objects.count()) == before
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT and proposal.total == Decimal("6960.00")


def test_support_reads_but_does_not_change_finance_and_admin_see_nothing(company, catalogue, login):
    proposal = _proposal(company, catalogue)
    web = login(company.sam)
    assert web.get("/proposals/").status_code == 200
    page = web.get(f"/proposals/{proposal.pk}/").content.decode()
    assert proposal.number in page and 'id="add-line"' not in page
    assert web.get(f"/proposals/{proposal.pk}/pdf/").status_code == 200
    assert web.post(f"/proposals/{proposal.pk}/send/").status_code == 403
    assert web.get("/proposals/new/").status_code == 403
    assert web.get("/proposals/templates/").status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT
    for who in (company.fiona, company.adam):
        web = login(who)
        assert web.get("/proposals/").status_code == 403
        assert web.get(f"/proposals/{proposal.pk}/pdf/").status_code == 403
        assert web.get("/proposals/export.xlsx").status_code == 403


def test_templates_and_letterhead_are_for_heads_and_the_director(company, login):
    web = login(company.hannah)
    response = web.post(
        "/proposals/templates/new/",
        {
            "name": "Опт",
            "intro": "Здравствуйте",
            "terms": "",
            "payment_terms": "100 % предоплата",
            "delivery_terms": "Самовывоз",
            "validity_days": "7",
            "active": "on",
        },
    )
    assert response.status_code == 302
    template = ProposalTemplate.objects.get()
    assert template.validity_days == 7 and template.updated_by == company.hannah
    assert "Опт" in web.get("/proposals/templates/").content.decode()
    web.post(
        "/proposals/letterhead/", {"company_name": "АО «Альфа»", "details": "ИНН 1", "phone": "", "email": ""}
    )
    from kam.proposals.models import Letterhead

    assert Letterhead.current().company_name == "АО «Альфа»"
    web = login(company.alice)
    assert web.get("/proposals/templates/").status_code == 403
    assert (
        web.post(f"/proposals/templates/{template.pk}/", {"name": "X", "validity_days": "1"}).status_code
        == 403
    )
    template.refresh_from_db()
    assert template.name == "Опт"


def test_the_dossier_tab_and_the_brief_show_open_proposals(company, catalogue, login):
    proposal = _proposal(company, catalogue)
    web = login(company.alice)
    page = web.get(f"/clients/{company.alice_client.pk}/proposals/").content.decode()
    assert proposal.number in page and "New proposal" in page
    sections = briefs.sections_for(company.alice_client, company.alice)
    mine = [s for s in sections if s["name"] == "proposals"]
    assert mine and mine[0]["proposals"] == [proposal]
    assert not [
        s for s in briefs.sections_for(company.alice_client, company.fiona) if s["name"] == "proposals"
    ]
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    services.proposal_reject(proposal_id=proposal.pk, actor=company.alice, reason="no")
    assert not [
        s for s in briefs.sections_for(company.alice_client, company.alice) if s["name"] == "proposals"
    ]


def test_the_nav_link_shows_for_those_who_may(company, login):
    assert 'href="/proposals/"' in login(company.alice).get("/proposals/").content.decode()


def test_a_proposal_for_an_opportunity_shows_on_its_page(company, catalogue, login):
    from datetime import date

    from kam.pipeline.models import Opportunity

    deal = Opportunity.objects.create(
        client=company.alice_client,
        owner=company.alice,
        title="Зимний сезон",
        amount=Decimal("100000"),
        probability=50,
        expected_on=date(2030, 1, 1),
    )
    other = Opportunity.objects.create(
        client=company.carol_client,
        owner=company.carol,
        title="Чужая",
        amount=Decimal("1"),
        probability=5,
        expected_on=date(2030, 1, 1),
    )
    web = login(company.alice)
    page = web.get(f"/pipeline/{deal.pk}/").content.decode()
    assert "No proposals for this opportunity yet" in page
    response = web.post("/proposals/new/", {"client": company.alice_client.pk, "opportunity": other.pk})
    assert response.status_code == 200 and not Proposal.objects.exists()
    response = web.post("/proposals/new/", {"client": company.alice_client.pk, "opportunity": deal.pk})
    proposal = Proposal.objects.get()
    assert proposal.opportunity == deal
    assert proposal.number in web.get(f"/pipeline/{deal.pk}/").content.decode()
    assert "Зимний сезон" in web.get(f"/proposals/{proposal.pk}/").content.decode()


def test_the_pdf_in_russian_uses_embedded_dejavu_fonts(company, catalogue, template):
    from django.utils import translation

    from kam.proposals import documents

    proposal = _proposal(company, catalogue, template=template)
    with translation.override("ru"):
        data = documents.proposal_pdf(proposal, proposal.versions.get())
    with open(os.path.join(ARTIFACTS, "proposal-ru.pdf"), "wb") as kept:
        kept.write(data)
    text = _pdf_text(data)
    assert "6\u00a0960,00\u00a0₽" in text or "6 960,00 ₽" in text
    assert "Цемент М500" in text
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True).stdout.decode()
    if not fonts:  # older pdffonts reads files only
        path = os.path.join(ARTIFACTS, "proposal-ru.pdf")
        fonts = subprocess.run(["pdffonts", path], capture_output=True, check=True).stdout.decode()
    assert "DejaVu" in fonts
    assert "http" not in documents.proposal_html(proposal, proposal.versions.get())
