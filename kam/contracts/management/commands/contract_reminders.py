from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.contracts.reminders import send_reminders


class Command(BaseCommand):
    help = "E-mail each contract owner about renewals due and obligations due or overdue (once a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The day to remind for (YYYY-MM-DD); default: today, local time.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"Bad --date: {options['date']}") from error
        sent = send_reminders(today)
        self.stdout.write(f"{sent} reminder e-mail(s) sent for {today.isoformat()}.")
