"""Buildings, floors and units as region nodes: a street's building register (楼宇台账) as a CSV.

One row per unit: ``community_code,building_no,building_name,address,floor,unit_no,unit_name``.
Codes keep the statistical code of the community (or park) the building stands in as their prefix:

- building: the 12-digit community code + a 3-digit building number (``330108003015`` + ``001``);
- floor: the building's code + 3 digits, ``001``–``199`` above ground, ``901``–``909`` for B1–B9;
- unit: the floor's code + a 2-digit unit number (``01``–``99``).

So a unit's code says its street, community, building and floor (``33010800301500101203``: 浦沿街道,
东信社区, building 001, floor 12, unit 03) and subtree scoping by path keeps working at every level.
A register is checked whole before anything is written: every bad row is listed, nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event
from qinqing.regions.models import Region

COLUMNS = ("community_code", "building_no", "building_name", "address", "floor", "unit_no", "unit_name")
DATA = Path(__file__).resolve().parent / "data"
DEMO_REGISTER = DATA / "binjiang_buildings.csv"
PARKS = DATA / "binjiang_parks.csv"

_BUILDING_NO = re.compile(r"^\d{3}$")
_UNIT_NO = re.compile(r"^\d{2}$")
_FLOOR = re.compile(r"^(?:B([1-9])|(-?\d{1,3}))$", re.IGNORECASE)
_PARENT_LEVELS = (Region.Level.COMMUNITY, Region.Level.GRID)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class RegisterRejected(Exception):
    """A building register with bad rows: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("%(n)d bad rows; nothing was imported.") % {"n": len({e.line for e in errors})})
        self.errors = errors


@dataclass
class _Node:
    code: str
    name: str
    level: str
    parent_code: str


@dataclass
class Register:
    """The nodes a register adds, parents first."""

    buildings: dict[str, _Node] = field(default_factory=dict)
    floors: dict[str, _Node] = field(default_factory=dict)
    units: dict[str, _Node] = field(default_factory=dict)


def floor_code(raw: str) -> tuple[str, str] | None:
    """The 3-digit code and the name of a floor written as ``12``, ``-1`` or ``B1``; None if malformed."""
    match = _FLOOR.match(raw.strip())
    if match is None:
        return None
    if match.group(1):
        below = int(match.group(1))
        return f"9{below:02d}", f"B{below}层"
    number = int(match.group(2))
    if 1 <= number <= 199:
        return f"{number:03d}", f"{number}层"
    if -9 <= number <= -1:
        return f"9{-number:02d}", f"B{-number}层"
    return None


def read_register(text: str) -> list[dict[str, str]]:
    """The rows of a register's CSV text (header required)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegisterRejected([RowError(1, c, _("Missing column.")) for c in missing])
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def check_register(rows: list[dict[str, str]], *, street: Region) -> Register:
    """Check every row against the street's tree and each other; raise `RegisterRejected` listing each bad row."""
    parents = {r.code: r for r in Region.objects.subtree(street).filter(level__in=_PARENT_LEVELS)}
    existing = dict(Region.objects.filter(path__startswith=street.path,
                                          level__in=(Region.Level.BUILDING, Region.Level.FLOOR, Region.Level.UNIT))
                    .values_list("code", "level"))
    register = Register()
    errors: list[RowError] = []
    unit_lines: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        bad = _check_row(row, line, parents, street)
        if bad:
            errors.extend(bad)
            continue
        parent = parents[row["community_code"]]
        building = f"{parent.code}{row['building_no']}"
        floor = floor_code(row["floor"])
        assert floor is not None
        floor_key, floor_name = floor
        unit = f"{building}{floor_key}{row['unit_no']}"
        seen = register.buildings.get(building)
        if seen is not None and seen.name != row["building_name"]:
            errors.append(RowError(line, "building_name", _("Building %(no)s is named %(name)s on an earlier row.")
                                   % {"no": row["building_no"], "name": seen.name}))
            continue
        if unit in unit_lines:
            errors.append(RowError(line, "unit_no", _("Duplicate unit: the same unit is on line %(line)d.")
                                   % {"line": unit_lines[unit]}))
            continue
        clash = [(code, level) for code, level in ((building, Region.Level.BUILDING),
                                                   (f"{building}{floor_key}", Region.Level.FLOOR),
                                                   (unit, Region.Level.UNIT))
                 if code in existing and existing[code] != level]
        if clash:
            errors.append(RowError(line, "unit_no", _("Code %(code)s already names another kind of region.")
                                   % {"code": clash[0][0]}))
            continue
        unit_lines[unit] = line
        register.buildings.setdefault(building, _Node(building, row["building_name"], Region.Level.BUILDING,
                                                      parent.code))
        register.floors.setdefault(f"{building}{floor_key}", _Node(f"{building}{floor_key}", floor_name,
                                                                   Region.Level.FLOOR, building))
        register.units[unit] = _Node(unit, row["unit_name"] or f"{row['unit_no']}单元", Region.Level.UNIT,
                                     f"{building}{floor_key}")
    if not rows:
        errors.append(RowError(1, "file", _("The register has no rows.")))
    if errors:
        raise RegisterRejected(errors)
    return register


def _check_row(row: dict[str, str], line: int, parents: dict[str, Region], street: Region) -> list[RowError]:
    errors: list[RowError] = []
    code = row.get("community_code", "")
    if code not in parents:
        errors.append(RowError(line, "community_code", _("No community or park %(code)s in %(street)s.")
                               % {"code": code or "—", "street": street.name}))
    if not _BUILDING_NO.match(row.get("building_no", "")) or row.get("building_no") == "000":
        errors.append(RowError(line, "building_no", _("Three digits, 001 to 999.")))
    if not row.get("building_name"):
        errors.append(RowError(line, "building_name", _("This field is required.")))
    if floor_code(row.get("floor", "")) is None:
        errors.append(RowError(line, "floor", _("A floor from 1 to 199, or B1 to B9 below ground.")))
    if not _UNIT_NO.match(row.get("unit_no", "")) or row.get("unit_no") == "00":
        errors.append(RowError(line, "unit_no", _("Two digits, 01 to 99.")))
    for name in ("building_name", "unit_name", "address"):
        if len(row.get(name, "")) > 64:
            errors.append(RowError(line, name, _("At most 64 characters.")))
    return errors


@transaction.atomic
def import_buildings(*, text: str, street_code: str, actor: object = None) -> dict[str, int]:
    """Check a street's building register whole, then add or rename its buildings, floors and units."""
    street = Region.objects.filter(code=street_code, level=Region.Level.STREET).first()
    if street is None:
        raise RegisterRejected([RowError(0, "street", _("No street has code %(code)s.") % {"code": street_code})])
    register = check_register(read_register(text), street=street)
    by_code: dict[str, Region] = {}
    for nodes in (register.buildings, register.floors, register.units):
        for node in nodes.values():
            parent = by_code.get(node.parent_code) or Region.objects.get(code=node.parent_code)
            by_code[node.code], _created = Region.objects.update_or_create(
                code=node.code, defaults={"name": node.name, "level": node.level, "parent": parent,
                                          "path": f"{parent.path}{node.code}/", "active": True})
    counts = {"buildings": len(register.buildings), "floors": len(register.floors), "units": len(register.units)}
    record_event(actor=actor, action="regions.buildings_imported", obj=street, after=counts)
    return counts


@transaction.atomic
def load_parks() -> int:
    """Add the industrial parks that are not statistical divisions as nodes under their street."""
    with PARKS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        street = Region.objects.get(code=row["street_code"])
        Region.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "level": Region.Level.COMMUNITY, "parent": street,
            "path": f"{street.path}{row['code']}/", "active": True})
    return len(rows)


def load_demo_buildings() -> dict[str, int]:
    """The parks and the shipped demo register of 浦沿街道 and the IoT park (safe to run twice)."""
    load_parks()
    text = DEMO_REGISTER.read_text(encoding="utf-8")
    rows = read_register(text)
    totals = {"buildings": 0, "floors": 0, "units": 0}
    for street_code in sorted({r["community_code"][:9] for r in rows}):
        part = [r for r in rows if r["community_code"].startswith(street_code)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(part)
        for key, value in import_buildings(text=buffer.getvalue(), street_code=street_code).items():
            totals[key] += value
    return totals
