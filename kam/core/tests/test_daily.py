from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kam.core.management.commands import daily


def test_daily_runs_every_job(company):
    out = StringIO()
    call_command("daily", stdout=out)
    text = out.getvalue()
    for job in daily.DAILY_JOBS:
        assert f"{job}:" in text
    assert "daily jobs done" in text


def test_one_failing_job_does_not_stop_the_others(company, monkeypatch):
    ran: list[str] = []

    def fake_call(job, **kwargs):
        ran.append(job)
        if job == "contract_reminders":
            raise RuntimeError("mail server down")

    monkeypatch.setattr(daily, "call_command", fake_call)
    err = StringIO()
    with pytest.raises(CommandError, match="contract_reminders"):
        call_command("daily", stdout=StringIO(), stderr=err)
    assert ran == list(daily.DAILY_JOBS)
    assert "mail server down" in err.getvalue()
