"""Every POST form on the site rejects bad input with a message (issue 7, "Bad input").

The pages come from the same door list as the CSRF test (kam/core/tests/doors.py): every page without
arguments and every page of one client (all dossier tabs), as the director and as the KAM who owns the
client; then the pages of one object of each kind (opportunity, account plan, contract, claim, tender,
promotion, activity, proposal, template, product, order, ...; see make_objects). Each `<form method="post">`
in the page HTML is submitted three times:

(a) every visible field empty (the CSRF token and the hidden fields kept);
(b) every text, number and date field filled with garbage (5,000 characters with markup and SQL, -1e999,
    2026-02-30), every select, radio and checkbox given a value that does not exist;
(c) the same with a NUL byte, NaN and an impossible date-time.

A submission is "rejected" when it answers 4xx, or re-renders with an error message (class "errorlist"), or
redirects with an error flashed (messages.error). A rejected submission must leave every table of the
kam.* apps as it was. Never a 5xx. A submission that passes with no error is allowed only where
ACCEPTS_ANYTHING below lists it, with the reason its input is valid by design.

Forms with no visible field (logout, the language buttons, delete, "compute now" and "new feed link"
buttons) take no input, so no bad input: they are not submitted (logout would end the session, delete would
remove the fixtures).

Forms that htmx loads as fragments (not in the page's HTML) are not seen here; their targets are covered by
the door matrix and by each app's own tests.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.messages import constants as message_levels

from kam.core.tests.doors import SKIP_PREFIXES, _route_to_url, arg_names, doors, patterns

# Submissions valid by design: (action path regex, round: "empty"/"garbage"/"" for both, reason).
ACCEPTS_ANYTHING: list[tuple[str, str, str]] = [
    (
        r"^/clients/\d+/needs/edit/$",
        "empty",
        "history, needs, plans, decision process and category budget are all optional: "
        "emptying them is an edit",
    ),
    (
        r"^/plans/department/\d+/[\w-]+/$",
        "empty",
        "an empty department figure means the sum of its KAMs' plans (the field's help text says so)",
    ),
    (
        r"^/schedule/\d+/complete/$",
        "garbage1",
        "the outcome and the next step are free text of any length (stored as typed, escaped)",
    ),
    (
        r"^/orders/\d+/move/$",
        "garbage1",
        "withdrawing one's draft: the move is a fixed hidden value, the note free text of any length",
    ),
    (r"^/schedule/\d+/checklist/$", "empty", "no box ticked is a checklist with nothing ticked"),
    (r"^/account-plans/\d+/strategy/$", "", "the strategy is optional free text (stored as typed, escaped)"),
    (
        r"^/contracts/claims/\d+/resolve/$",
        "garbage1",
        "the resolution is free text of any length (stored as typed, escaped); 'rejected' is a checkbox",
    ),
]

# Two rounds of garbage: long text with markup and SQL; then a NUL byte, NaN and an impossible month.
GARBAGE = [
    {
        "text": "<script>alert(1)</script>'; DROP TABLE clients_client; --" + "x" * 5000,
        "number": "-1e999",
        "date": "2026-02-30",
    },
    {"text": "nul\x00byte", "number": "NaN", "date": "2026-13-45T25:61"},
]
NO_SUCH_CHOICE = "no-such-choice-987654"
TEXT_TYPES = {"text", "search", "email", "url", "tel", "password", "textarea", ""}
NUMBER_TYPES = {"number", "range"}
DATE_TYPES = {"date", "datetime-local", "month", "week", "time"}
TIME_BUDGET_SECONDS = 110  # per persona; the whole run stays bounded even if the site grows


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str | None
    attrs: dict[str, str]
    fields: list[Field] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            self._form = Form(attrs.get("method", "get").lower(), attrs.get("action"), attrs)
            self.forms.append(self._form)
            return
        if self._form is None or "name" not in attrs or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._select.options.append(attrs.get("value", ""))
            return
        name = attrs["name"]
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            self._form.fields.append(Field(name, kind, attrs.get("value", ""), "checked" in attrs))
        elif tag == "select":
            self._select = Field(name, "select")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(name, "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def post_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f.method == "post"]


def resolve_action(page_url: str, form: Form) -> str | None:
    """The form's target path on this site, or None when it goes elsewhere."""
    target = urljoin("http://testserver" + page_url, form.action or "")
    parts = urlsplit(target)
    if parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def empty_data(form: Form) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for f in form.fields:
        if f.kind == "hidden":
            data.setdefault(f.name, []).append(f.value)
        elif f.kind in ("checkbox", "radio", "file"):
            continue
        else:
            data.setdefault(f.name, []).append("")
    return data


def garbage_data(form: Form, garbage: dict[str, str]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for f in form.fields:
        if f.kind == "hidden":
            value = f.value
        elif f.kind in TEXT_TYPES:
            value = garbage["text"]
        elif f.kind in NUMBER_TYPES:
            value = garbage["number"]
        elif f.kind in DATE_TYPES:
            value = garbage["date"]
        elif f.kind in ("select", "radio"):
            value = NO_SUCH_CHOICE
        elif f.kind == "checkbox":
            value = NO_SUCH_CHOICE if f.value not in ("", "on") else "on"
        else:  # file, color, ...
            continue
        data.setdefault(f.name, []).append(value)
    return data


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("kam.") and not m._meta.proxy and m._meta.managed
    }


def drain_messages(browser) -> None:
    """Forget messages an earlier POST flashed and no page showed, so they are not taken for this one's."""
    browser.cookies.pop("messages", None)
    session = browser.session
    if session.pop("_messages", None) is not None:
        session.save()


def flashed_errors(response) -> list[str]:
    storage = getattr(response.wsgi_request, "_messages", None)
    if storage is None:
        return []
    return [str(m) for m in storage if m.level >= message_levels.ERROR]


def allowed(action: str, label: str) -> str | None:
    for pattern, round_, reason in ACCEPTS_ANYTHING:
        if re.search(pattern, action) and label.startswith(round_):
            return reason
    return None


def pages(company) -> list[str]:
    from kam.clients.dossier import TABS

    everything = doors(company.alice_client.pk, list(TABS), only_client_doors=False)
    return [
        d.url
        for d in everything
        if not d.is_api and ("client_id" in d.route or "<" not in d.route) and "fmt" not in d.route
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["diana", "alice"])
def test_every_post_form_rejects_bad_input_with_a_message(company, login, who):
    submitted = submit_bad_input(login(getattr(company, who)), who, pages(company))
    assert submitted > 20, f"only {submitted} submissions: did the pages lose their forms?"


def submit_bad_input(browser, who: str, urls: list[str]) -> int:
    """Submit every POST form of these pages empty and with garbage; fail on any problem; the count."""
    browser.raise_request_exception = False  # a 500 is reported as a finding, not raised
    started = time.monotonic()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    problems: list[str] = []
    accepted: list[str] = []
    submitted = 0
    for url in urls:
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            problems.append(f"time budget spent before {url}: the test must stay bounded")
            break
        page = browser.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for form in post_forms(page.content.decode()):
            action = resolve_action(url, form)
            if action is None:
                continue
            key = (re.sub(r"\?.*", "", action), tuple(sorted(f.name for f in form.fields)))
            if key in seen:
                continue
            seen.add(key)
            if all(f.kind == "hidden" for f in form.fields):
                continue  # no input to be bad: logout, language, delete/compute/feed buttons
            rounds = [("empty", empty_data(form))] + [
                (f"garbage{i + 1}", garbage_data(form, g)) for i, g in enumerate(GARBAGE)
            ]
            for label, data in rounds:
                before = row_counts()
                drain_messages(browser)
                response = browser.post(action, data)
                submitted += 1
                where = f"{who} {label} POST {action} (form on {url}, fields {sorted(data)})"
                status = response.status_code
                if status >= 500:
                    problems.append(f"{where}: {status}")
                    continue
                body = response.content.decode(errors="replace") if status == 200 else ""
                rejected = (
                    400 <= status < 500
                    or (status == 200 and "errorlist" in body)
                    or (status == 200 and "msg-error" in body)
                    or bool(flashed_errors(response))
                )
                if rejected:
                    after = row_counts()
                    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                    if changed:
                        problems.append(f"{where}: rejected, yet rows changed {changed}")
                    continue
                reason = allowed(action, label)
                if reason:
                    accepted.append(f"{where}: {reason}")
                    continue
                problems.append(f"{where}: {status} with no error message (bad input accepted?)")
    print(f"{who}: {submitted} submissions, {len(seen)} forms", "accepted by design:", *accepted, sep="\n")
    assert not problems, "\n".join(problems)
    return submitted


# --- Pages of one object: an opportunity, account plan, contract, claim, tender, proposal, ... -----------


def make_objects(company) -> dict[str, int]:
    """One of each object whose pages hold forms, for alice's client: URL argument -> its id."""
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from kam.accountplans import services as plans
    from kam.activities import services as activities
    from kam.contracts import services as contracts
    from kam.pipeline import services as pipeline
    from kam.promotions import services as promotions
    from kam.tenders import services as tenders

    alice, client = company.alice, company.alice_client
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time()))
    opportunity = pipeline.opportunity_create(
        actor=alice, client=client, title="Pumps", amount=Decimal("1000.00"), expected_on=date(2026, 3, 15)
    )
    plan = plans.plan_create(actor=alice, client=client, year=today.year)
    contract = contracts.contract_create(
        user=alice,
        client=client,
        data={"number": "C-1", "title": "Supply", "starts_on": today, "ends_on": today + timedelta(days=365)},
    )
    claim = contracts.claim_create(
        user=alice,
        client=client,
        data={"kind": "claim", "subject": "Cracks", "registered_on": today, "assigned_to": alice},
    )
    tender = tenders.tender_create(
        user=alice,
        client=client,
        data={"platform": "commercial", "title": "Pumps", "deadline": start + timedelta(days=10)},
    )
    promotion = promotions.promotion_create(
        actor=company.diana,
        data={
            "name": "Spring",
            "kind": "discount",
            "starts_on": today,
            "ends_on": today + timedelta(days=30),
        },
    )
    activity = activities.activity_create(
        user=alice, client=client, kind="visit", planned_start=start, planned_end=start + timedelta(hours=1)
    )
    from kam.clients.models import FinancialIndicator
    from kam.orders.models import Product
    from kam.proposals import services as proposals
    from kam.proposals.models import ProposalTemplate

    template = ProposalTemplate.objects.create(name="Standard")
    proposal = proposals.proposal_create(client=client, actor=alice, template=template)
    product = Product.objects.create(code="P-1", name="Pump")
    indicator = FinancialIndicator.objects.create(client=client, year=today.year - 1)
    from kam.orders import services as orders

    order = orders.order_create(client=client, actor=alice)
    return {
        "order_id": order.pk,
        "proposal_id": proposal.pk,
        "template_id": template.pk,
        "product_id": product.pk,
        "indicator_id": indicator.pk,
        "stakeholder_id": client.stakeholders.get().pk,
        "kam_id": alice.pk,
        "department_id": company.north.pk,
        "pk": opportunity.pk,
        "plan_id": plan.pk,
        "contract_id": contract.pk,
        "claim_id": claim.pk,
        "tender_id": tender.pk,
        "promotion_id": promotion.pk,
        "activity_id": activity.pk,
    }


def object_pages(company, ids: dict[str, int]) -> list[str]:
    from django.utils import timezone

    month = timezone.localdate().strftime("%Y-%m")
    known = {"client_id": str(company.alice_client.pk), "period": month, "month": month}
    urls = []
    for route, name, _pattern in patterns():
        objects = [a for a in arg_names(route) if a not in known]
        if route.startswith(("api/", *SKIP_PREFIXES)) or not objects or not set(objects) <= set(ids):
            continue
        if "pk" in objects and not name.startswith("pipeline:"):
            continue
        urls.append(_route_to_url(route, {**known, **{k: str(v) for k, v in ids.items()}}))
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["diana", "alice"])
def test_every_post_form_of_an_object_page_rejects_bad_input(company, login, who):
    """The pages of one opportunity, plan, contract, claim, tender, promotion, activity, proposal, proposal
    template, product, order, financial indicator, stakeholder, and of a KAM's and a department's plans."""
    urls = object_pages(company, make_objects(company))
    assert len(urls) > 15, urls
    submitted = submit_bad_input(login(getattr(company, who)), who, urls)
    assert submitted > 10, f"only {submitted} submissions: did the pages lose their forms?"


@pytest.mark.django_db
def test_an_unknown_checklist_item_is_refused_and_the_ticks_stay(company, login):
    """Was: an invalid checklist unticked everything and said "Checklist saved."."""
    from django.urls import reverse

    from kam.activities.models import Activity

    activity_id = make_objects(company)["activity_id"]
    browser = login(company.alice)
    url = reverse("activities:checklist", args=[activity_id])
    browser.post(url, {"ticked": ["on_time", "manners"]})
    before = Activity.objects.get(pk=activity_id).checklist
    assert before["on_time"] and before["manners"]
    response = browser.post(url, {"ticked": ["on_time", NO_SUCH_CHOICE]})
    assert response.status_code == 302
    assert flashed_errors(response) == ["Tick only the items of the checklist."]
    assert Activity.objects.get(pk=activity_id).checklist == before
