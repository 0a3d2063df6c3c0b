from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.regions.buildings import RegisterRejected, import_buildings


class Command(BaseCommand):
    help = ("Import a street's building register (CSV, one row per unit: community_code, building_no, building_name, "
            "address, floor, unit_no, unit_name) as building, floor and unit regions; all or nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--street", required=True, help="the street's code, e.g. 330108003 (浦沿街道)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        try:
            counts = import_buildings(text=text, street_code=options["street"], actor="importbuildings")
        except RegisterRejected as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}:{error}")
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{counts['buildings']} buildings, {counts['floors']} floors, {counts['units']} units"))
