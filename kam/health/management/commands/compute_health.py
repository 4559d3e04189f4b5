from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.health.services import compute_health


class Command(BaseCommand):
    help = (
        "Compute the account-health score of every key client (latest analysis) and keep it as the day's "
        "snapshot, raising early warnings. Run it once a day (cron); recomputing a day replaces it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The day to score (YYYY-MM-DD); default: today, local time.")
        parser.add_argument(
            "--client", type=int, action="append", help="Only this client id (repeatable), key or not."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = timezone.localdate()
        if options.get("date"):
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"Bad --date: {options['date']}") from error
        count = compute_health(day=day, client_ids=options.get("client") or None)
        self.stdout.write(f"Health of {count} client(s) computed for {day.isoformat()}.")
