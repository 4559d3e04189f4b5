from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kam.activities import conf, services


class Command(BaseCommand):
    help = "Email a reminder for each planned activity starting soon (once per activity; run from cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=int, default=None, help="look this many minutes ahead")

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["minutes"] if options["minutes"] is not None else conf.reminder_minutes()
        sent = services.reminders_send(within_minutes=minutes)
        self.stdout.write(f"{sent} reminder(s) sent")
