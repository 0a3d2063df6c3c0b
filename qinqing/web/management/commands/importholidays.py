import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qinqing.audit.services import record_event
from qinqing.cases.deadlines import recompute_provisional_deadlines
from qinqing.core.errors import ValidationFailed
from qinqing.core.services import import_holiday_notice


class Command(BaseCommand):
    help = ("Load a year's holidays and make-up workdays from the State Council's notice (CSV: date,kind,name), "
            "mark the year covered and recompute the open deadlines that reach into it.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV with the header date,kind,name; kind is holiday or workday")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--notice", required=True, help="the notice's number, e.g. 国办发明电〔2024〕12号")
        parser.add_argument("--published", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from error
        year: int = options["year"]
        try:
            with transaction.atomic():
                covered = import_holiday_notice(year=year, notice=options["notice"], published=options["published"],
                                                text=text, source=path.name)
                record_event(actor=None, action="calendar.year_imported", obj=covered,
                             after={"year": year, "notice": covered.notice, "file": path.name})
                changed = recompute_provisional_deadlines(year=year)
        except ValidationFailed as error:
            lines = [f"{where}: {message}" for where, messages in error.errors.items() for message in messages]
            raise CommandError("\n".join([str(error.message), *lines])) from error
        self.stdout.write(f"{year}: holidays loaded from {covered.notice or path.name}; "
                          f"{len(changed)} open deadline(s) recomputed")
