"""The bank gateway: the interface a treasury or bank API implements, and a sandbox that can misbehave.

`send` is idempotent on the payout's reference: sending the same reference again answers the first
transfer and never moves money twice, which is what makes retries after a crash or a timeout safe.
The sandbox keeps its transfers in a small SQLite file shared by every process on the machine; it
can be told to fail, to time out after taking the transfer, or to settle late, and it writes the
statement file that `qinqing reconcilepayouts` compares with the ledger.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

ACCEPTED, SETTLED, UNKNOWN = "accepted", "settled", "unknown"


class GatewayError(Exception):
    """The bank did not take the transfer; `permanent` when retrying cannot help (a closed account)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class GatewayTimeout(GatewayError):
    """No answer in time: the transfer may or may not have been taken; ask again with the same reference."""


@dataclass(frozen=True)
class Transfer:
    reference: str
    account: str
    amount: Decimal
    status: str  # accepted | settled
    at: dt.datetime


class BankGateway(Protocol):
    def send(self, *, reference: str, account: str, account_name: str, amount: Decimal) -> Transfer: ...

    def status(self, reference: str) -> str: ...

    def statement(self) -> list[Transfer]: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SandboxGateway:
    """A bank that answers from a local SQLite file; `behave(...)` makes the next calls misbehave."""

    _lock = threading.Lock()

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path or settings.QINQING_BANK_SANDBOX)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS transfers (reference TEXT PRIMARY KEY, account TEXT, "
                       "account_name TEXT, amount TEXT, at TEXT, settle_at TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS control (id INTEGER PRIMARY KEY CHECK (id = 1), mode TEXT, "
                       "remaining INTEGER, late_seconds REAL)")
            db.execute("INSERT OR IGNORE INTO control VALUES (1, 'ok', 0, 0)")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        finally:
            db.close()

    def behave(self, mode: str = "ok", *, times: int = -1, late_seconds: float = 0) -> None:
        """Answer the next `times` sends (-1: all) with `mode`: ok, fail, reject, timeout or late."""
        if mode not in {"ok", "fail", "reject", "timeout", "late"}:
            raise ValueError(mode)
        with self._db() as db:
            db.execute("UPDATE control SET mode = ?, remaining = ?, late_seconds = ? WHERE id = 1",
                       (mode, times, late_seconds))

    def _mode(self, db: sqlite3.Connection) -> tuple[str, float]:
        mode, remaining, late = db.execute("SELECT mode, remaining, late_seconds FROM control").fetchone()
        if mode != "ok" and remaining != -1:
            if remaining <= 0:
                return "ok", 0
            db.execute("UPDATE control SET remaining = remaining - 1 WHERE id = 1")
        return str(mode), float(late)

    def send(self, *, reference: str, account: str, account_name: str, amount: Decimal) -> Transfer:
        with self._lock, self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT reference, account, amount, at, settle_at FROM transfers "
                                 "WHERE reference = ?", (reference,)).fetchone()
                if row is not None:  # the same reference again: answer the first transfer
                    db.execute("COMMIT")
                    return self._transfer(row)
                mode, late = self._mode(db)
                if mode in {"fail", "reject"}:
                    db.execute("COMMIT")
                    raise GatewayError("sandbox: refused", permanent=mode == "reject")
                now = _now()
                settle = now + dt.timedelta(seconds=late if mode == "late" else 0)
                db.execute("INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?)",
                           (reference, account, account_name, str(amount), now.isoformat(), settle.isoformat()))
                db.execute("COMMIT")
            except GatewayError:
                raise
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if mode == "timeout":
            raise GatewayTimeout("sandbox: no answer in time")
        return Transfer(reference, account, amount, SETTLED if settle <= now else ACCEPTED, now)

    @staticmethod
    def _transfer(row: tuple[str, str, str, str, str]) -> Transfer:
        reference, account, amount, at, settle_at = row
        status = SETTLED if dt.datetime.fromisoformat(settle_at) <= _now() else ACCEPTED
        return Transfer(reference, account, Decimal(amount), status, dt.datetime.fromisoformat(at))

    def status(self, reference: str) -> str:
        with self._db() as db:
            row = db.execute("SELECT reference, account, amount, at, settle_at FROM transfers WHERE reference = ?",
                             (reference,)).fetchone()
        return UNKNOWN if row is None else self._transfer(row).status

    def statement(self) -> list[Transfer]:
        with self._db() as db:
            rows = db.execute("SELECT reference, account, amount, at, settle_at FROM transfers "
                              "ORDER BY at, reference").fetchall()
        return [self._transfer(r) for r in rows]

    def write_statement(self, path: Path) -> int:
        """Write the statement file (CSV: reference, account, amount, status, at) the bank would send."""
        rows = self.statement()
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["reference", "account", "amount", "status", "at"])
            for t in rows:
                writer.writerow([t.reference, t.account, f"{t.amount:.2f}", t.status, t.at.isoformat()])
        return len(rows)

    def forget(self) -> None:
        """Empty the sandbox (tests)."""
        with self._db() as db:
            db.execute("DELETE FROM transfers")
            db.execute("UPDATE control SET mode = 'ok', remaining = 0, late_seconds = 0 WHERE id = 1")


def read_statement(path: Path) -> list[Transfer]:
    """Read a statement file written by a gateway."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [Transfer(r["reference"], r["account"], Decimal(r["amount"]), r["status"],
                         dt.datetime.fromisoformat(r["at"])) for r in csv.DictReader(handle)]


_gateway: BankGateway | None = None


def gateway() -> BankGateway:
    """The configured gateway (settings.QINQING_BANK_GATEWAY), created once per process."""
    global _gateway
    if _gateway is None:
        _gateway = import_string(settings.QINQING_BANK_GATEWAY)()
    return _gateway
