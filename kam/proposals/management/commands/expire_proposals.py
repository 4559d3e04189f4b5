from typing import Any

from django.core.management.base import BaseCommand

from kam.proposals import services


class Command(BaseCommand):
    help = "Sent proposals whose validity has passed become expired (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.proposals_expire()
        self.stdout.write(f"{result.expired} proposal(s) expired.")
