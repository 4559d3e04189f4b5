import sys
import types
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone
from stdnum.ru import inn

from kam.access.models import Department, Deputy, Role, User
from kam.clients.models import Client, ClientStatus, RelationKind, Stakeholder
from kam.core import demo

SMALL = ["--clients", "60", "--lines", "0"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_company(db: None) -> str:
    return run(*SMALL)


def snapshot() -> list[tuple[str, str, Decimal | None]]:
    return list(
        Client.objects.order_by("tax_number").values_list("short_name", "tax_number", "category_budget")
    )


def test_it_creates_every_role_and_every_login_works_with_the_demo_password(demo_company, client):
    roles = defaultdict(list)
    for user in User.objects.all():
        roles[user.role].append(user.username)
    assert sorted(roles[Role.DIRECTOR]) == ["director"]
    assert sorted(roles[Role.HEAD]) == ["head1", "head2", "head3"]
    assert sorted(roles[Role.KAM]) == sorted(f"kam{i}" for i in range(1, 13))
    assert sorted(roles[Role.SALES_SUPPORT]) == ["support1", "support2"]
    assert sorted(roles[Role.FINANCE]) == ["finance1", "finance2"]
    admin = User.objects.get(username="admin")
    assert admin.role == Role.NONE and admin.is_staff
    assert not User.objects.filter(is_staff=True).exclude(username="admin").exists()
    for department in Department.objects.all():
        assert department.head is not None and department.head.department == department
        assert department.members.filter(role=Role.KAM).count() >= 3
    for username in demo.demo_logins():
        assert client.login(username=username, password=demo.DEMO_PASSWORD), username
        client.logout()
    assert "people: 21 logins" in demo_company


def test_every_russian_inn_is_valid_and_unique_and_every_client_passes_its_validation(demo_company):
    clients = list(Client.objects.all())
    assert len(clients) == 60
    russian = [c.tax_number for c in clients if c.country == "RU"]
    assert all(inn.is_valid(number) for number in russian)
    assert len(set(russian)) == len(russian)
    assert any(len(number) == 12 for number in russian), "a few sole traders (ИП) have 12 digits"
    assert any(c.country != "RU" for c in clients)
    for c in clients:
        c.full_clean()  # checksums, uniqueness, field limits
        assert c.search_name == f"{c.short_name} {c.legal_name}".upper()
        assert c.department_id == c.owner.department_id and c.owner.role == Role.KAM
    assert Client.objects.search("техностро").filter(short_name="АО «ТехноСтрой Холдинг»").exists()


def test_generated_inns_agree_with_stdnum():
    rng = demo._Rng(7)
    taken: set[str] = set()
    companies = [demo.inn_company(rng, 77, taken) for _ in range(500)]
    people = [demo.inn_person(rng, 50, taken) for _ in range(500)]
    assert all(inn.is_valid(n) and len(n) == 10 and n.startswith("77") for n in companies)
    assert all(inn.is_valid(n) and len(n) == 12 for n in people)
    assert len(taken) == 1000


def test_the_same_seed_gives_the_same_company():
    today = date(2026, 3, 1)
    first = demo.plan_company(seed=42, clients=300, today=today)
    again = demo.plan_company(seed=42, clients=300, today=today)
    other = demo.plan_company(seed=43, clients=300, today=today)

    def key(plan: demo.DemoPlan) -> list[Any]:
        return [(c.short_name, c.tax_number, c.purchases, c.category_budget, c.owner) for c in plan.clients]

    assert key(first) == key(again)
    assert [(p.login, p.first_name, p.last_name) for p in first.people] == [
        (p.login, p.first_name, p.last_name) for p in again.people
    ]
    assert key(first) != key(other)


def test_reset_writes_the_same_company_again_and_keeps_other_users(demo_company):
    before = snapshot()
    department = Department.objects.first()
    outsider = User.objects.create_user("outsider", password="x-long-password-1", department=department)
    out = run(*SMALL, "--reset")
    assert "deleted:" in out
    assert snapshot() == before
    outsider.refresh_from_db()
    assert outsider.department is None
    assert User.objects.filter(username__in=demo.demo_logins()).count() == len(demo.demo_logins())


def test_sizes_are_heavy_tailed_with_one_client_near_critical_dependence(demo_company):
    budgets = sorted(
        (
            budget or Decimal(0)
            for budget in Client.objects.exclude(status=ClientStatus.PROSPECT).values_list(
                "category_budget", flat=True
            )
        ),
        reverse=True,
    )
    total = sum(budgets, Decimal(0))
    assert Decimal("0.15") <= budgets[0] / total <= Decimal("0.25")
    top = budgets[: len(budgets) // 5]
    assert sum(top, Decimal(0)) / total > Decimal("0.6")
    critical = Client.objects.order_by("-category_budget").first()
    assert critical is not None and critical.short_name == "АО «ТехноСтрой Холдинг»"
    assert critical.owner.username == "kam1" and critical.segment == "large"


@pytest.mark.parametrize("clients", [60, 2000])
def test_purchases_give_one_critical_client_and_a_few_big_ones(clients):
    plan = demo.plan_company(seed=42, clients=clients, today=date(2026, 3, 1))
    weights = sorted(plan.weights(), reverse=True)
    total = sum(weights)
    shares = [w / total for w in weights]
    assert 0.18 <= shares[0] <= 0.22
    assert 3 <= sum(1 for s in shares[1:] if s >= 0.05) <= 6
    assert all(s < 0.10 for s in shares[1:])
    assert sum(shares[: len(shares) // 5]) > 0.6
    for spec in plan.clients:
        if spec.purchases:
            assert spec.purchases * 1.2 <= spec.category_budget * 1.001 + 10_000
            assert spec.category_budget <= spec.purchases * 3.0 + 10_000
        else:
            assert spec.status == ClientStatus.PROSPECT


def fake_ledger(monkeypatch) -> list[dict[str, Any]]:
    """Stands in for kam.ledger.demo and records how it was called."""
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("kam.ledger.demo")
    fake.fill_demo_ledger = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kam.ledger.demo", fake)
    return calls


def test_the_larger_clients_have_a_full_dossier(db, monkeypatch):
    calls = fake_ledger(monkeypatch)
    run("--clients", "60", "--lines", "1")
    weights = calls[0]["weights"]
    today = timezone.localdate()
    deep = [c for c in Client.objects.order_by("-category_budget")[:10]]
    for c in deep:
        people = list(c.stakeholders.all())
        assert 2 <= len(people) <= 8, c
        makers = [p for p in people if p.decision_role == "decision_maker"]
        assert len(makers) == 1
        boss = {r.source_id: r.target_id for r in c.relationships.filter(kind=RelationKind.REPORTS_TO)}
        for person in people:
            # Everyone reaches the decision maker through reports-to (an owner stands above it).
            seen, at = set(), person.pk
            while at != makers[0].pk and at in boss and at not in seen:
                seen.add(at)
                at = boss[at]
            assert at == makers[0].pk or person.decision_role == "vip", (c, person)
        assert all(1 <= p.influence <= 5 for p in people)
        assert all(p.last_contact_on is None or p.last_contact_on <= today for p in people)
        assert c.history and c.needs and c.plans and c.decision_process
        years = list(c.financials.values_list("year", flat=True))
        assert 2 <= len(years) <= 3 or c.segment == "public"
        shares = c.competitors.aggregate(total=Sum("estimated_share"))["total"] or Decimal(0)
        bought = (c.category_budget or 0) and Decimal(100) * weights.get(c.pk, 0) / c.category_budget
        assert shares + bought < 100, c
        assert c.competitors.count() <= 3
    assert Stakeholder.objects.filter(client__in=deep, decision_role="decision_maker").count() == 10
    assert Stakeholder.objects.filter(client__in=deep).exclude(private_notes="").exists()


def test_one_deputy_is_in_place_today_and_one_is_coming(demo_company):
    today = timezone.localdate()
    active = Deputy.objects.active(today)
    assert [(d.deputy.username, d.absent.username) for d in active] == [("kam2", "kam1")]
    future = Deputy.objects.filter(starts_on__gt=today)
    assert future.count() == 1 and future[0].starts_on <= today + timedelta(days=30)


def test_if_empty_changes_nothing_on_a_database_with_data(company):
    before = (snapshot(), list(User.objects.values_list("username", "password", "role")))
    out = run("--if-empty", *SMALL)
    assert "database already has data" in out
    assert (snapshot(), list(User.objects.values_list("username", "password", "role"))) == before


def test_it_refuses_a_database_with_data_without_if_empty_or_reset(company):
    before = snapshot()
    with pytest.raises(CommandError, match="already has data"):
        run(*SMALL)
    assert snapshot() == before
    assert not User.objects.filter(username="director").exists()


def test_it_refuses_too_few_clients(db):
    with pytest.raises(CommandError, match="at least"):
        run("--clients", "5")
    assert not Client.objects.exists()


def test_print_logins_lists_the_demo_logins_and_the_password(db):
    assert "No demo logins" in run("--print-logins")
    run(*SMALL)
    out = run("--print-logins")
    lines = out.splitlines()
    assert lines[0].split() == ["login", "role", "department", "password"]
    assert any(line.startswith("director ") for line in lines)
    assert demo.DEMO_PASSWORD in out and "kam12" in out and "admin" in out
    assert Client.objects.count() == 60  # printing writes nothing


def test_the_ledger_generator_gets_the_annual_purchases_per_client(db, monkeypatch):
    calls = fake_ledger(monkeypatch)
    run("--clients", "60", "--lines", "5000", "--seed", "7")
    (call,) = calls
    assert (call["lines"], call["months"], call["seed"]) == (5000, 36, 7)
    buying = set(Client.objects.exclude(status=ClientStatus.PROSPECT).values_list("pk", flat=True))
    assert set(call["weights"]) == buying
    assert all(isinstance(w, int) and w > 0 for w in call["weights"].values())
    for pk, budget in Client.objects.filter(pk__in=buying).values_list("pk", "category_budget"):
        assert call["weights"][pk] <= budget


def test_without_a_ledger_generator_it_says_so_and_goes_on(db, monkeypatch):
    monkeypatch.setitem(sys.modules, "kam.ledger.demo", None)
    out = run("--clients", "60", "--lines", "100")
    assert "no lines written" in out
    assert Client.objects.count() == 60


def test_default_lines_scale_with_the_clients(db, monkeypatch):
    calls = fake_ledger(monkeypatch)
    run("--clients", "60")
    assert calls[0]["lines"] == 60 * demo.LINES_PER_CLIENT  # 150 000 for the default 2 000 clients


def test_the_real_ledger_generator_follows_the_sizes(db):
    from kam.ledger.models import SalesLine

    run("--clients", "60", "--lines", "3000")
    assert SalesLine.objects.count() == 3000
    by_client = dict(
        SalesLine.objects.values("client").annotate(total=Sum("revenue")).values_list("client", "total")
    )
    critical = Client.objects.get(short_name="АО «ТехноСтрой Холдинг»")
    share = by_client[critical.pk] / sum(by_client.values())
    assert Decimal("0.15") <= share <= Decimal("0.25")
    assert not set(by_client) & set(
        Client.objects.filter(status=ClientStatus.PROSPECT).values_list("pk", flat=True)
    )


def test_the_demo_opens_with_two_analysis_runs_a_month_apart(db):
    from kam.analytics.models import Snapshot, SnapshotClient

    out = run("--clients", "60", "--lines", "3000")
    runs = list(Snapshot.objects.order_by("period_end"))
    assert [r.status for r in runs] == ["done", "done"]
    assert runs[0].period_end is not None and runs[1].period_end is not None
    assert runs[1].period_end.month != runs[0].period_end.month
    top = SnapshotClient.objects.filter(snapshot=runs[1]).order_by("rank").select_related("client").first()
    assert top is not None and top.client.short_name == "АО «ТехноСтрой Холдинг»" and top.is_key_any
    assert "analysis to" in out


def test_the_demo_sets_monthly_plans_from_last_years_ledger_plus_growth(db):
    from kam.ledger.models import LedgerMonthly
    from kam.planning import selectors as plans
    from kam.planning.models import Plan, PlanChange
    from kam.planning.periods import Period

    out = run("--clients", "60", "--lines", "3000")
    today = timezone.localdate()
    month = Period.containing("month", today)
    this_month = list(
        Plan.objects.filter(period_kind="month", period_start=month.start).select_related("kam")
    )
    assert this_month and all(p.kam.role == Role.KAM for p in this_month)
    assert "monthly plans" in out
    assert PlanChange.objects.count() == Plan.objects.count()  # each with its first version
    assert not Plan.objects.filter(period_start__lt=date(today.year, 1, 1)).exists()
    for plan in this_month:
        year_before = date(month.start.year - 1, month.start.month, 1)
        kopecks = LedgerMonthly.objects.filter(manager=plan.kam, month=year_before).aggregate(
            s=Sum("turnover")
        )["s"]
        last_year = Decimal(kopecks) / 100
        assert last_year * Decimal("1.02") <= plan.sales_volume <= last_year * Decimal("1.21") + 500
    card = plans.plan_card(this_month[0].kam, month, today)
    assert card is not None and card.mine is not None and card.mine.plan is not None and card.mine.rank

    def written() -> list[tuple[str, date, Decimal]]:
        return list(
            Plan.objects.order_by("kam__username", "period_start").values_list(
                "kam__username", "period_start", "sales_volume"
            )
        )

    before = written()
    run("--clients", "60", "--lines", "3000", "--reset")
    assert written() == before  # the same seed: the same plans again, none left over
