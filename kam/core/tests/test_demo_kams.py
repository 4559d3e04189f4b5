"""`manage.py demo --kams N`: extra KAMs for the load test, without changing the default company."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from kam.core import demo

TODAY = date(2026, 3, 1)


def test_extra_kams_are_added_after_the_default_roster_and_own_clients():
    default = demo.plan_company(seed=42, clients=200, today=TODAY)
    bigger = demo.plan_company(seed=42, clients=200, today=TODAY, kams=40)
    assert [p.login for p in bigger.people[: len(default.people)]] == [p.login for p in default.people]
    kams = [p for p in bigger.people if p.role == "kam"]
    assert [p.login for p in kams] == [f"kam{n}" for n in range(1, 41)]
    assert all(p.department is not None for p in kams)
    owners = {c.owner for c in bigger.clients}
    assert owners - {p.login for p in kams} == set()
    assert len(owners) > 12  # the new KAMs get clients too
    assert {p.login for p in kams} <= set(demo.all_demo_logins())


def test_the_number_of_kams_is_bounded():
    with pytest.raises(ValueError):
        demo.plan_company(seed=42, clients=200, today=TODAY, kams=5)


@pytest.mark.django_db
def test_the_command_refuses_too_few_kams():
    with pytest.raises(CommandError, match="--kams"):
        call_command("demo", "--clients", "20", "--lines", "0", "--kams", "3")
