from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.accounts.services import create_enterprise
from qinqing.core.errors import DomainError


class Command(BaseCommand):
    help = "Register an enterprise login (username = its unified social credit code)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--uscc", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--region", default=None, help="region code, e.g. 330108001001")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            user = create_enterprise(uscc=o["uscc"], name=o["name"], password=o["password"], region=o["region"])
        except DomainError as exc:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {details}") from exc
        self.stdout.write(self.style.SUCCESS(f"created enterprise {user.username}"))
