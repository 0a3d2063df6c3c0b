import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.cockpit.aggregates import snapshot
from qinqing.cockpit.services.rebuild import rebuild_cockpit


class Command(BaseCommand):
    help = ("Rebuild every cockpit read model from scratch (registry and shared data, the journal of observed "
            "changes, payouts, cases, alerts, visit events); with --compare, say whether the figures differ from "
            "the ones the consumer kept.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--compare", action="store_true", help="compare with the incremental figures")

    def handle(self, *args: Any, **options: Any) -> None:
        before = snapshot() if options["compare"] else None
        started = time.perf_counter()
        counts = rebuild_cockpit(progress=lambda stage, n: self.stdout.write(f"  {stage}: {n}") if n else None)
        seconds = time.perf_counter() - started
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()) + f" ({seconds:.1f} s)")
        if before is not None:
            after = snapshot()
            differing = {name: len(set(before[name]) ^ set(after[name])) for name in after}
            if any(differing.values()):
                self.stdout.write(self.style.WARNING(f"differs from the incremental figures: {differing} rows"))
            else:
                self.stdout.write(self.style.SUCCESS("identical to the incremental figures"))
