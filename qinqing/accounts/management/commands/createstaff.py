from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.accounts.scope import REGIONAL_ROLES
from qinqing.accounts.services import create_staff
from qinqing.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a government staff login with department, roles and region scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--department", default=None, help="department code, e.g. SCJG")
        parser.add_argument("--roles", default="reviewer", help="comma-separated: reviewer, data_importer, agent, street_staff, grid_staff, district_staff, …")
        parser.add_argument("--region", default=None,
                            help="region code of the scope (required for street, grid and district staff)")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        if not o["region"] and not REGIONAL_ROLES.isdisjoint(r.strip() for r in o["roles"].split(",")):
            # Default deny would leave such a login reading nothing: say so instead of creating it.
            raise CommandError("--region: street, grid and district staff need the region code of their scope")
        try:
            user = create_staff(username=o["username"], password=o["password"], department=o["department"],
                                roles=o["roles"].split(","), region=o["region"], display_name=o["name"])
        except DomainError as exc:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
            raise CommandError(f"{exc.message} {details}") from exc
        self.stdout.write(self.style.SUCCESS(f"created staff {user.username}"))
