"""Start the platform: migrate, load demo data into an empty database, run the ASGI server."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, load the demo city when the database is empty, and serve site and API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        from qinqing.accounts.models import User

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"数据目录 data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not User.objects.exists():
            call_command("loaddemo", stdout=self.stdout)
        elif not options["no_demo"]:
            call_command("loaddemo", "--logins-only", stdout=self.stdout)
        worker = None
        if not options["no_worker"] and not settings.HUEY.get("immediate"):
            worker = subprocess.Popen(
                [sys.executable, "-m", "qinqing.cli", "run_huey", "--workers", "2", "--flush-locks"],
                env=os.environ.copy(),
            )
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"亲清在线 running at {url}  (API {url}/api/v1/docs)"))
        try:
            uvicorn.run(
                "qinqing.asgi:application", host=options["host"], port=options["port"],
                workers=options["workers"], log_level="warning", access_log=False,
                lifespan="off",
            )
        finally:
            if worker is not None:
                worker.terminate()
