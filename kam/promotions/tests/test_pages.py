from __future__ import annotations

import csv
import io
from datetime import date

from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from kam.analytics.models import Snapshot, SnapshotClient, SnapshotStatus
from kam.core.testing import make_client
from kam.promotions import services
from kam.promotions.models import Participant, Promotion

from .helpers import promotion


def _form(**overrides):
    data = {
        "name": "Retro 2025",
        "kind": "retro_bonus",
        "status": "active",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "rules_text": "2 % back above 10 mln",
        "discount_pct": "",
        "volume_threshold": "10000000.00",
        "bonus_pct": "2.00",
        "department": "",
        "segment": "large",
        "abc_class": "",
    }
    data.update(overrides)
    return data


def test_the_director_creates_a_programme_and_a_head_creates_one_for_their_department(company, login):
    response = login(company.diana).post(reverse("promotions:new"), _form())
    p = Promotion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("promotions:detail", args=[p.pk])
    assert p.department is None and p.bonus_pct == 2
    login(company.hannah).post(
        reverse("promotions:new"), _form(name="North only", department=company.south.pk)
    )
    north = Promotion.objects.get(name="North only")
    assert north.department == company.north  # a head cannot aim at another department


def test_a_programme_cannot_end_before_it_starts(company, login):
    response = login(company.diana).post(reverse("promotions:new"), _form(ends_on="2024-12-31"))
    assert response.status_code == 200
    assert "The programme cannot end before it starts." in response.content.decode()
    assert not Promotion.objects.exists()


def test_kams_support_and_finance_may_not_create_and_nothing_is_written(company, login):
    for user in (company.alice, company.sam, company.fiona, company.adam):
        assert login(user).post(reverse("promotions:new"), _form()).status_code == 403
    assert not Promotion.objects.exists()


def test_who_sees_which_programme(company, login):
    everyone = promotion(
        company.diana, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31), name="Company-wide"
    )
    south = promotion(company.hugo, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31), name="South deal")
    services.participants_add(actor=company.diana, promotion_id=everyone.pk, clients=[company.alice_client])
    url = reverse("promotions:detail", args=[everyone.pk])
    assert login(company.alice).get(url).status_code == 200  # covers her client
    assert login(company.carol).get(url).status_code == 404  # covers none of hers
    assert login(company.hannah).get(reverse("promotions:detail", args=[south.pk])).status_code == 404
    assert login(company.hugo).get(reverse("promotions:detail", args=[south.pk])).status_code == 200
    assert login(company.fiona).get(url).status_code == 200
    assert login(company.sam).get(reverse("promotions:list")).status_code == 403
    assert login(company.adam).get(reverse("promotions:list")).status_code == 403
    body = login(company.carol).get(reverse("promotions:list")).content.decode()
    assert "Company-wide" not in body and "South deal" not in body


def test_refused_changes_leave_the_database_unchanged(company, login):
    p = promotion(company.hannah, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31), name="North deal")
    services.participants_add(actor=company.hannah, promotion_id=p.pk, clients=[company.alice_client])
    before = (list(Promotion.objects.values()), list(Participant.objects.values()))
    alice = login(company.alice)  # sees it (her client takes part), may not change it
    assert alice.get(reverse("promotions:detail", args=[p.pk])).status_code == 200
    assert alice.post(reverse("promotions:edit", args=[p.pk]), _form(name="Hacked")).status_code == 403
    assert (
        alice.post(
            reverse("promotions:participant_add", args=[p.pk]), {"client": company.alice_client.pk}
        ).status_code
        == 403
    )
    remove = reverse("promotions:participant_remove", args=[p.pk, company.alice_client.pk])
    assert alice.post(remove).status_code == 403
    # The other department's head does not even see it.
    hugo = login(company.hugo)
    assert hugo.post(reverse("promotions:edit", args=[p.pk]), _form(name="Hacked")).status_code == 404
    assert (
        hugo.post(
            reverse("promotions:participant_add_matching", args=[p.pk]), {"segment": "large"}
        ).status_code
        == 404
    )
    # Hannah may change it, but not with a client she does not see.
    hannah = login(company.hannah)
    hannah.post(reverse("promotions:participant_add", args=[p.pk]), {"client": company.carol_client.pk})
    assert (list(Promotion.objects.values()), list(Participant.objects.values())) == before


def test_bulk_add_by_segment_and_department_and_by_abc_class(company, login):
    extra = make_client(company.alice, "7710140679", "Kolokolchik")
    p = promotion(company.diana, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31))
    hannah = login(company.hannah)
    response = hannah.post(reverse("promotions:participant_add_matching", args=[p.pk]), {"segment": "large"})
    assert response.status_code == 403  # a company-wide programme is the director's
    diana = login(company.diana)
    diana.post(
        reverse("promotions:participant_add_matching", args=[p.pk]),
        {"segment": "large", "department": company.north.pk},
    )
    assert set(p.participants.values_list("client_id", flat=True)) == {
        company.alice_client.pk,
        company.bob_client.pk,
        extra.pk,
    }
    # Adding again adds nothing twice.
    diana.post(reverse("promotions:participant_add_matching", args=[p.pk]), {"segment": "large"})
    assert p.participants.count() == 4  # + Lyutik (South)
    snap = Snapshot.objects.create(status=SnapshotStatus.DONE)
    for rank, (client, abc) in enumerate(
        [(company.alice_client, "A"), (company.carol_client, "A"), (extra, "C")], 1
    ):
        SnapshotClient.objects.create(
            snapshot=snap, client=client, rank=rank, turnover=1, income=1, basis=1, abc=abc
        )
    q = promotion(company.diana, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31), name="A only")
    diana.post(reverse("promotions:participant_add_matching", args=[q.pk]), {"abc_class": "A"})
    assert set(q.participants.values_list("client_id", flat=True)) == {
        company.alice_client.pk,
        company.carol_client.pk,
    }


def test_adding_one_client_with_the_picker_and_removing_it(company, login):
    p = promotion(company.hannah, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31))
    hannah = login(company.hannah)
    body = hannah.get(reverse("promotions:detail", args=[p.pk])).content.decode()
    assert 'name="client__q"' in body  # a search box, not a list of every client
    hannah.post(reverse("promotions:participant_add", args=[p.pk]), {"client": company.bob_client.pk})
    assert list(p.participants.values_list("client_id", flat=True)) == [company.bob_client.pk]
    hannah.post(reverse("promotions:participant_remove", args=[p.pk, company.bob_client.pk]))
    assert not p.participants.exists()


def test_list_search_filter_sort_and_constant_queries(company, login, django_assert_max_num_queries):
    for i in range(30):
        p = promotion(
            company.diana,
            starts_on=date(2025, 1, 1 + i % 28),
            ends_on=date(2025, 6, 30),
            name=f"Deal {i:02d}",
        )
        services.participants_add(actor=company.diana, promotion_id=p.pk, clients=[company.alice_client])
    promotion(
        company.diana,
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 6, 30),
        name="Volume push",
        kind="volume_bonus",
    )
    diana = login(company.diana)
    url = reverse("promotions:list")
    diana.get(url)
    with django_assert_max_num_queries(12):
        body = diana.get(url, {"sort": "name"}).content.decode()
    assert body.index("Deal 00") < body.index("Deal 01")
    body = diana.get(url, {"kind": "volume_bonus"}).content.decode()
    assert "Volume push" in body and "Deal 00" not in body
    body = diana.get(url, {"q": "deal 2"}).content.decode()
    assert "Deal 21" in body and "Volume push" not in body


def test_exports_are_read_back_and_audited(company, login):
    promotion(company.diana, starts_on=date(2025, 1, 1), ends_on=date(2025, 3, 31), name="Spring discount")
    diana = login(company.diana)
    response = diana.get(reverse("promotions:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Name" and rows[1][0] == "Spring discount" and rows[1][2] == "Active"
    response = diana.get(reverse("promotions:export"), {"fmt": "csv"})
    reader = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert reader[1][0] == "Spring discount" and reader[1][3] == "2025-01-01"
    exports = LogEntry.objects.filter(additional_data__kind="export", additional_data__what="promotions")
    assert sorted(e.additional_data["format"] for e in exports) == ["csv", "xlsx"]
    assert login(company.sam).get(reverse("promotions:export")).status_code == 403
