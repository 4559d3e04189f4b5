"""Health pages, exports, dossier tab, brief, dashboard and their access rules."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.core.testing import INNS, make_client
from kam.health import services
from kam.health.models import HealthAlert, HealthConfig, HealthRun, HealthSnapshot

from .helpers import key_snapshot, month_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(company):
    key_snapshot(company.alice_client, company.bob_client, company.carol_client)
    services.compute_health(day=timezone.localdate())
    return company


def state():
    return (
        list(HealthSnapshot.objects.order_by("pk").values_list("pk", "score", "day")),
        HealthAlert.objects.count(),
        HealthRun.objects.count(),
        list(HealthConfig.objects.values_list("weight_trend", "alert_below")),
    )


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("alice", {"Romashka"}),
        ("hannah", {"Romashka", "Vasilek"}),
        ("hugo", {"Lyutik"}),
        ("diana", {"Romashka", "Vasilek", "Lyutik"}),
    ],
)
def test_the_list_shows_each_role_its_own_clients(scored, login, who, names):
    body = login(getattr(scored, who)).get(reverse("health:list")).content.decode()
    assert 'id="health-table"' in body
    for name in {"Romashka", "Vasilek", "Lyutik"}:
        assert (f">{name}</a>" in body) == (name in names)


@pytest.mark.parametrize("who", ["sam", "fiona", "adam"])
def test_support_finance_and_admin_are_refused_health(scored, login, who):
    http = login(getattr(scored, who))
    assert http.get(reverse("health:list")).status_code == 403
    assert http.get(reverse("health:export")).status_code == 403
    assert http.get(reverse("health:detail", args=[scored.alice_client.pk])).status_code == 403


def table(response) -> str:
    body = response.content.decode()
    return body[body.find('id="health-rows"') :]


def test_the_list_filters_sorts_and_searches(scored, login):
    http = login(scored.diana)
    body = table(http.get(reverse("health:list"), {"q": "roma"}))
    assert "Romashka" in body and "Lyutik" not in body
    body = table(http.get(reverse("health:list"), {"department": scored.south.pk}))
    assert "Lyutik" in body and "Romashka" not in body
    body = table(http.get(reverse("health:list"), {"kam": scored.bob.pk}))
    assert "Vasilek" in body and "Romashka" not in body
    body = http.get(reverse("health:list"), {"band": "good"}).content.decode()
    assert 'id="health-table"' not in body  # nobody is healthy without data
    body = http.get(reverse("health:list"), {"band": "risk", "sort": "-score", "kam": "x"}).content.decode()
    assert "Romashka" in body
    fragment = http.get(
        reverse("health:list"), {"q": "lyu"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="health-rows"
    )
    assert b"<html" not in fragment.content and b"Lyutik" in fragment.content


def test_the_list_uses_a_constant_number_of_queries(scored, login):
    http = login(scored.hannah)
    http.get(reverse("health:list"))
    with CaptureQueriesContext(connection) as few:
        http.get(reverse("health:list"))
    for i in range(5):
        c = make_client(scored.alice, INNS[3 + i] if i < 3 else "", f"Extra {i}")
        month_row(c, date(2026, 1, 1), 100)
        services.compute_health(client_ids=[c.pk])
    HealthSnapshot.objects.update(is_key=True)
    with CaptureQueriesContext(connection) as many:
        assert http.get(reverse("health:list")).status_code == 200
    assert len(many) == len(few)


def test_the_export_is_audited_and_cut_to_what_the_user_sees(scored, login):
    http = login(scored.hannah)
    response = http.get(reverse("health:export"), {"fmt": "csv"})
    text = response.content.decode("utf-8-sig")
    assert "Romashka" in text and "Vasilek" in text and "Lyutik" not in text
    assert "Income trend: points" in text.splitlines()[0]
    entry = LogEntry.objects.filter(additional_data__kind="export").latest("pk")
    assert entry.actor == scored.hannah and entry.additional_data["rows"] == 2
    xlsx = http.get(reverse("health:export"))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_detail_shows_components_points_weights_and_history(scored, login):
    body = login(scored.alice).get(reverse("health:detail", args=[scored.alice_client.pk])).content.decode()
    assert 'id="health-components"' in body and 'id="health-sparkline"' in body
    for label in (
        "Income trend",
        "Order frequency",
        "Overdue debt",
        "Open claims",
        "Decision makers covered",
    ):
        assert label in body
    assert 'data-part="satisfaction"' in body and "Record satisfaction" in body


def test_another_kams_client_is_404_and_computing_it_changes_nothing(scored, login):
    before = state()
    http = login(scored.carol)
    assert http.get(reverse("health:detail", args=[scored.alice_client.pk])).status_code == 404
    assert http.post(reverse("health:compute_client", args=[scored.alice_client.pk])).status_code == 404
    assert state() == before


def test_a_kam_may_not_compute_all_nor_change_settings_and_nothing_changes(scored, login):
    before = state()
    http = login(scored.alice)
    assert http.post(reverse("health:compute_all")).status_code == 403
    assert http.post(reverse("health:settings"), {"weight_trend": 99}).status_code == 403
    assert login(scored.hannah).post(reverse("health:settings"), {"weight_trend": 99}).status_code == 403
    assert state() == before


def test_a_kam_computes_a_non_key_client_of_their_own(scored, login):
    other = make_client(scored.alice, INNS[3], "Not key")
    http = login(scored.alice)
    response = http.post(reverse("health:compute_client", args=[other.pk]))
    assert response.status_code == 302
    snap = HealthSnapshot.objects.get(client=other)
    assert not snap.is_key and snap.is_latest
    assert "Not key" in table(http.get(reverse("health:list"), {"all": "1"}))
    assert "Not key" not in table(http.get(reverse("health:list")))


def test_the_head_computes_all_key_clients_in_the_background_run(scored, login):
    HealthSnapshot.objects.all().delete()
    response = login(scored.hannah).post(reverse("health:compute_all"))
    assert response.status_code == 302
    run = HealthRun.objects.get()
    assert (run.status, run.total, run.done, run.percent) == ("done", 3, 3, 100)
    assert HealthSnapshot.objects.count() == 3
    status = login(scored.hannah).get(reverse("health:status", args=[run.pk]))
    assert status["HX-Refresh"] == "true"


def test_the_director_changes_thresholds_and_bad_limits_are_refused(scored, login):
    http = login(scored.diana)
    form = http.get(reverse("health:settings")).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(weight_trend=30, alert_below=60)
    assert http.post(reverse("health:settings"), data).status_code == 302
    assert HealthConfig.current().weight_trend == 30
    data.update(meeting_ok_days=90, meeting_warn_days=60)
    response = http.post(reverse("health:settings"), data)
    assert response.status_code == 200 and "cannot be below the good limit" in response.content.decode()
    assert HealthConfig.current().meeting_ok_days == 30


def test_the_dossier_tab_brief_and_dashboard_show_health(scored, login):
    HealthAlert.objects.create(
        client=scored.alice_client, day=timezone.localdate(), kind="drop", score=40, previous_score=80
    )
    http = login(scored.alice)
    tab = http.get(reverse("clients:dossier_tab", args=[scored.alice_client.pk, "health"])).content.decode()
    assert 'id="health-card"' in tab and 'id="health-client-alerts"' in tab
    home = http.get(reverse("home")).content.decode()
    assert 'id="health-widget"' in home and "Romashka" in home
    assert "Romashka" not in login(scored.carol).get(reverse("home")).content.decode()
    from kam.core import briefs

    sections = {s["name"]: s for s in briefs.sections_for(scored.alice_client, scored.alice)}
    assert sections["health"]["health"].client == scored.alice_client
    assert "health" not in {s["name"] for s in briefs.sections_for(scored.alice_client, scored.sam)}


def test_the_api_lists_and_details_health_with_the_same_rules(scored, client):
    from kam.access.models import ApiToken

    def get(user, path, **params):
        _token, raw = ApiToken.issue(user, "test")
        return client.get(f"/api/health{path}", params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    listed = get(scored.hannah, "", sort="name").json()
    assert [r["client"] for r in listed["items"]] == ["Romashka", "Vasilek"]
    detail = get(scored.alice, f"/{scored.alice_client.pk}").json()
    assert {c["name"] for c in detail["components"]} >= {"trend", "overdue", "satisfaction"}
    assert detail["components"][0]["weight"] == 25 and len(detail["history"]) == 1
    assert get(scored.carol, f"/{scored.alice_client.pk}").status_code == 404
    assert get(scored.sam, "").status_code == 403


def test_the_meeting_brief_page_shows_the_health_section(scored, login):
    from datetime import timedelta

    from kam.activities.models import Activity

    start = timezone.now() + timedelta(days=1)
    visit = Activity.objects.create(
        client=scored.alice_client,
        owner=scored.alice,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    body = login(scored.alice).get(reverse("activities:brief", args=[visit.pk])).content.decode()
    assert 'id="brief-health"' in body and 'id="brief-health-score"' in body
    assert "Decision makers covered" in body  # a weak part, with its points


def test_a_stale_run_does_not_block_a_new_one(scored, login):
    from datetime import timedelta

    stale = HealthRun.objects.create(day=timezone.localdate())
    HealthRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert login(scored.diana).post(reverse("health:compute_all")).status_code == 302
    stale.refresh_from_db()
    assert stale.status == "failed"
    assert HealthRun.objects.filter(status="done").count() == 1
