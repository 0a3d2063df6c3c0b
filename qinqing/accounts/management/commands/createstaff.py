from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.accounts.services import create_staff
from qinqing.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a government staff login with department, roles and region scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--department", default=None, help="department code, e.g. SCJG")
        parser.add_argument("--roles", default="reviewer", help="comma-separated: reviewer,data_importer,agent")
        parser.add_argument("--region", default=None)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            user = create_staff(username=o["username"], password=o["password"], department=o["department"],
                                roles=o["roles"].split(","), region=o["region"], display_name=o["name"])
        except DomainError as exc:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {details}") from exc
        self.stdout.write(self.style.SUCCESS(f"created staff {user.username}"))
