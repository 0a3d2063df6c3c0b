"""`qinqing gencity --enterprises N`: a synthetic city for demos and benchmarks (rows marked synthetic)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.datahub.synthetic.city import CityPlan, clear_city, generate_city


class Progress:
    """A one-line progress bar on stderr: share done, rate and time left."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.started = stream, time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = done / elapsed
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        left = (total - done) / rate if rate else 0.0
        self.stream.write(f"\r[{bar:<30}] {share:6.1%} {done:,}/{total:,} {rate:,.0f}/s ETA {left:,.0f}s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Generate a synthetic city of N enterprises (valid USCCs, registry, social insurance, tax, annual figures)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=0, help="how many enterprises to add")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch", type=int, default=20_000, help="enterprises per transaction")
        parser.add_argument("--months", type=int, default=6, help="months of monthly tax and social-insurance records")
        parser.add_argument("--years", type=int, default=3, help="years of annual figures")
        parser.add_argument("--no-events", action="store_true", help="write no EnterpriseFactsChanged events")
        parser.add_argument("--clear", action="store_true", help="delete every synthetic row first (only those)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            counts = clear_city()
            self.stdout.write("cleared synthetic rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        total = options["enterprises"]
        if total < 0 or options["batch"] < 1 or not 0 <= options["months"] <= 36 or not 0 <= options["years"] <= 10:
            raise CommandError("--enterprises ≥ 0, --batch ≥ 1, --months 0–36 and --years 0–10, please")
        if total == 0:
            if not options["clear"]:
                raise CommandError("say how many with --enterprises N (or --clear)")
            return
        plan = CityPlan(enterprises=total, seed=options["seed"], batch=options["batch"], months=options["months"],
                        years=options["years"], emit_events=not options["no_events"])
        started = time.perf_counter()
        try:
            counts = generate_city(plan, progress=None if options["quiet"] else Progress(sys.stderr))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"synthetic city: {counts['enterprises']:,} enterprises, {counts['records']:,} data records, "
            f"{counts['events']:,} events in {seconds:.1f} s ({counts['enterprises'] / seconds:,.0f} enterprises/s)")
