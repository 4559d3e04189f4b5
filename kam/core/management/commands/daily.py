"""One cron line for the daily jobs: each runs on its own, so one failing does not stop the others."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

DAILY_JOBS = ("contract_reminders", "expire_proposals", "compute_health")


class Command(BaseCommand):
    help = (
        "Run the daily jobs: contract reminders, expiry of proposals past their validity, account health "
        "scores and early warnings. Run once a day from cron (send_reminders runs every few minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", choices=DAILY_JOBS, action="append", help="just this job (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        failed: list[str] = []
        for job in options["only"] or DAILY_JOBS:
            self.stdout.write(f"{job}: ", ending="")
            try:
                call_command(job, stdout=self.stdout, stderr=self.stderr)
            except Exception as exc:  # report it and go on with the other jobs
                failed.append(job)
                self.stderr.write(f"{job} failed: {exc}")
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}")
        self.stdout.write(self.style.SUCCESS("daily jobs done"))
