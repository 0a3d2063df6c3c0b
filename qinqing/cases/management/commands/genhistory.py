"""`qinqing genhistory --cases N`: a synthetic case history for benchmarks and demos (rows marked synthetic)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.cases.synthetic import HistoryPlan, clear_history, generate_history
from qinqing.datahub.management.commands.gencity import Progress


class Command(BaseCommand):
    help = ("Generate N synthetic cases (timelines, signed licences, realistic statuses and dates) over the demo "
            "enterprises and a synthetic city of --enterprises enterprises (generated when missing).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=0, help="how many cases to add (e.g. 1000000)")
        parser.add_argument("--enterprises", type=int, default=100_000,
                            help="synthetic enterprises the cases spread over (the missing ones are generated)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch", type=int, default=20_000, help="cases per transaction")
        parser.add_argument("--years", type=int, default=3, help="years of history")
        parser.add_argument("--sign-share", type=float, default=1.0,
                            help="share of the licences signed (1.0: all, as the licence service signs them)")
        parser.add_argument("--no-events", action="store_true",
                            help="leave out the cases' domain events (the cockpit and the counters will not see them)")
        parser.add_argument("--clear", action="store_true", help="delete every synthetic case first (only those)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clear"]:
            counts = clear_history()
            self.stdout.write("cleared synthetic cases: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        total = options["cases"]
        if total == 0:
            if not options["clear"]:
                raise CommandError("say how many with --cases N (or --clear)")
            return
        if not 1 <= options["years"] <= 20:
            raise CommandError("--years 1–20, please")
        plan = HistoryPlan(cases=total, enterprises=options["enterprises"], seed=options["seed"],
                           batch=options["batch"], years=options["years"], sign_share=options["sign_share"],
                           emit_events=not options["no_events"])
        started = time.perf_counter()
        bar = None if options["quiet"] else Progress(sys.stderr)
        try:
            counts = generate_history(plan, progress=bar, city_progress=None if options["quiet"] else Progress(sys.stderr))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"synthetic history: {counts['cases']:,} cases, {counts['events']:,} timeline events, "
            f"{counts['licences']:,} licences ({counts['signed']:,} signed), {counts['domain_events']:,} domain events, "
            f"{counts['enterprises']:,} new synthetic "
            f"enterprises in {seconds:.1f} s ({counts['cases'] / seconds:,.0f} cases/s)")
