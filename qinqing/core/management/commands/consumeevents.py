from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.core import events


class Command(BaseCommand):
    help = ("Run the outbox consumers now until they have caught up (the task queue does this after every "
            "commit and once a minute); print what each applied and what is left.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consumer", help="only this consumer (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        names = [options["consumer"]] if options["consumer"] else [c.name for c in events.flows().consumers]
        for name in names:
            applied = events.consume(name, batches=1_000_000)
            self.stdout.write(f"{name}: {applied} events applied, {events.lag().get(name, 0)} left")
