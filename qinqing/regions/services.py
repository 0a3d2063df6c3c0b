"""Load the Hangzhou divisions shipped inside the package."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from qinqing.regions.models import Region

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _put(code: str, name: str, level: str, parent: Region | None, active: bool = True) -> Region:
    path = f"{parent.path if parent else ''}{code}/"
    region, _ = Region.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "path": path, "active": active}
    )
    return region


@transaction.atomic
def load_regions() -> int:
    """Create or update Hangzhou, its districts, streets and 滨江区's communities; return the count."""
    city = _put("330100", "杭州市", Region.Level.CITY, None)
    districts: dict[str, Region] = {}
    for row in _rows("hangzhou_districts_gbt2260.csv"):
        if row["code"] == "330100":
            continue
        districts[row["code"]] = _put(
            row["code"], row["name"], Region.Level.DISTRICT, city, active=row["status"] == "current"
        )
    streets: dict[str, Region] = {}
    for row in _rows("hangzhou_townships_nbs2023.csv"):
        parent = districts.get(row["district_code"])
        if parent is None:
            continue
        streets[row["township_code_9"]] = _put(row["township_code_9"], row["township_name"], Region.Level.STREET, parent)
    for row in _rows("binjiang_communities_nbs2023.csv"):
        parent = streets[row["street_code_9"]]
        _put(row["community_code_12"], row["community_name"], Region.Level.COMMUNITY, parent)
    return Region.objects.count()
