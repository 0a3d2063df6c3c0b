import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qinqing.core.errors import DomainError
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.management.commands.gencity import Progress
from qinqing.datahub.rows import parse
from qinqing.datahub.services import import_file, import_records


class StepLog:
    """After the bar: a line as each step the database works through begins, with the local time it began."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __call__(self, name: str) -> None:
        self.stream.write(f"  [{timezone.localtime():%H:%M:%S}] {name} …\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import a CSV or JSON file of records into a data source (all or nothing), e.g. importdata land_contracts land.csv"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the source's code, e.g. market_registry")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "json"], help="default: from the file's extension")
        parser.add_argument("--as-of", dest="as_of", help="when the data was true, ISO 8601 (default: now)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar (a CSV file is streamed)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        fmt = options["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        as_of = self._as_of(options["as_of"])
        try:
            if fmt == "csv":  # streamed: a 9 M-row registry file never sits in memory whole
                if not path.is_file():
                    raise CommandError(f"{path}: No such file")
                bar = None if options["quiet"] else Progress(sys.stderr)
                steps = None if options["quiet"] else StepLog(sys.stderr)

                def megabytes(done: int, size: int) -> None:
                    assert bar is not None
                    total = max(1, -(-size // 1_000_000))  # rounded up: a small file still ends at 100 %
                    bar(total if done >= size else done // 1_000_000, total)

                result = import_file(source_code=options["source"], path=path, actor="importdata", as_of=as_of,
                                     progress=megabytes if bar else None, steps=steps)
            else:
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    raise CommandError(f"{path}: {exc.strerror}") from exc
                result = import_records(source_code=options["source"], rows=parse(raw, fmt), actor="importdata",
                                        as_of=as_of)
        except ImportRejected as exc:
            for error in exc.errors:
                where = f"line {error['line']}" if error["line"] else "file"
                self.stderr.write(f"{path}:{where}: {error['field'] or '-'}: {error['reason']}")
            raise CommandError(str(exc.message)) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"{result.source}: {result.rows} rows, {result.created} created, {result.updated} updated "
            f"in {result.seconds:.2f} s ({result.rows_per_second:,.0f} rows/s)"
        )

    @staticmethod
    def _as_of(text: str | None) -> dt.datetime | None:
        if not text:
            return None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(f"--as-of: not an ISO 8601 date or time: {text}") from exc
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
