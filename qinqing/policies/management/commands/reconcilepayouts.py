from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.policies.gateway import SandboxGateway, gateway, read_statement
from qinqing.policies.queries import reconcile


class Command(BaseCommand):
    help = "Compare the payout ledger with the bank's statement file and report every difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--statement", help="statement CSV (reference,account,amount,status,at); "
                                                "default: ask the sandbox bank for one")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["statement"]) if options["statement"] else None
        if path is None:
            bank = gateway()
            if not isinstance(bank, SandboxGateway):
                raise CommandError("give --statement: only the sandbox bank writes its statement on request")
            path = Path(tempfile.mkdtemp()) / "statement.csv"
            bank.write_statement(path)
        if not path.exists():
            raise CommandError(f"no statement file at {path}")
        transfers = read_statement(path)
        differences = reconcile(transfers)
        self.stdout.write(f"statement {path}: {len(transfers)} transfers; {len(differences)} differences")
        for d in differences:
            self.stdout.write(f"  {d.reference}  {d.kind}  ledger[{d.ledger}]  bank[{d.bank}]")
        if differences:
            raise CommandError(f"{len(differences)} differences between the ledger and the bank")
