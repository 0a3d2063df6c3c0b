"""What a roster may hold, from `cases/data/employee_roster.json`: matters, limits, contribution bounds."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent.parent / "data" / "employee_roster.json"


@dataclass(frozen=True)
class Bounds:
    """A city's monthly contribution base bounds for one contribution year, with their source."""

    region: str
    region_name: str
    year: str
    valid_from: dt.date
    lower: Decimal
    upper: Decimal
    source: str
    source_en: str

    @property
    def source_text(self) -> str:
        return self.source_en if (get_language() or "").startswith("en") and self.source_en else self.source


@dataclass(frozen=True)
class RosterPolicy:
    matters: frozenset[str]
    max_rows: int
    months_ahead: int
    bounds: tuple[Bounds, ...]

    def bounds_for(self, city: str, month: dt.date) -> Bounds | None:
        """The bounds in force in `city` (6-digit code) for `month`: the latest year that began by then."""
        found = [b for b in self.bounds if b.region == city and b.valid_from <= month]
        if not found:
            found = [b for b in self.bounds if b.region == city]  # before the first year on file
            return min(found, key=lambda b: b.valid_from) if found else None
        return max(found, key=lambda b: b.valid_from)


def _month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def _bounds(row: dict[str, Any]) -> Bounds:
    return Bounds(
        region=row["region"], region_name=row["region_name"], year=row["year"],
        valid_from=_month(row["valid_from"]), lower=Decimal(row["lower"]), upper=Decimal(row["upper"]),
        source=row["source"], source_en=row.get("source_en", ""),
    )


@functools.cache
def roster_policy() -> RosterPolicy:
    """Read the shipped roster policy once per process."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return RosterPolicy(
        matters=frozenset(raw["matters"]), max_rows=int(raw["max_rows"]), months_ahead=int(raw["months_ahead"]),
        bounds=tuple(_bounds(row) for row in raw["contribution_bounds"]),
    )
