"""Facts and records government already holds about an enterprise, each with its provenance."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Department, Enterprise, User
from qinqing.core import composed
from qinqing.core.errors import NotFound
from qinqing.core.ids import InvalidUSCC, validate_uscc
from qinqing.datahub import sources as kept_sources
from qinqing.datahub.adapters import Record, RegistryAdapter, TableAdapter, adapter_for
from qinqing.datahub.models import (
    PLATFORM_SOURCES,
    DataRecord,
    RegistryRecord,
    Source,
    readable_sources,
)
from qinqing.datahub.rows import FieldSpec, SourceDefinitionError, field_specs, json_value, typed_value

REGISTRY = "market_registry"
FORM = "form"  # a material requirement met by the online form itself, never by a record


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str
    source_name: str
    as_of: dt.datetime
    unit: str = ""  # the source field's unit code (core.values.UNITS), "" for none


class Provenance(TypedDict):
    """Where a prefilled value comes from: the source, its name and the as-of time (ISO 8601)."""

    source: str
    source_name: str
    as_of: str


def provenance(fact: Fact) -> Provenance:
    """Return the one provenance shape every prefill and every stored case carries."""
    return {"source": fact.source, "source_name": fact.source_name, "as_of": fact.as_of.isoformat()}


@dataclass(frozen=True)
class Holding:
    """What one source holds about one enterprise, newest record first."""

    source: Source
    fields: list[FieldSpec]
    records: list[Record]

    @property
    def as_of(self) -> dt.datetime:
        return max(r.as_of for r in self.records)


def _specs(source: Source) -> list[FieldSpec]:
    try:
        return field_specs(source)
    except SourceDefinitionError:
        return []


def all_fact_names() -> list[str]:
    """Every fact name a form prefill or a rule may read from shared data ("<prefix>.<field>")."""
    names: list[str] = []
    for source in Source.objects.filter(provides_facts=True).order_by("code"):
        names += [f"{source.fact_prefix}.{spec.name}" for spec in _specs(source)]
        if source.code == REGISTRY:
            names.append(f"{source.fact_prefix}.years_established")
    return names


def all_fact_units() -> dict[str, str]:
    """Every fact name with the unit code its source states it in ("" for none)."""
    units: dict[str, str] = {}
    for source in Source.objects.filter(provides_facts=True).order_by("code"):
        units.update({f"{source.fact_prefix}.{spec.name}": spec.unit for spec in _specs(source)})
        if source.code == REGISTRY:
            units[f"{source.fact_prefix}.years_established"] = "year"
    return units


def fact_specs() -> dict[str, FieldSpec]:
    """Every shared-data fact's field definition (label, choices), by fact name."""
    specs: dict[str, FieldSpec] = {}
    for source in Source.objects.filter(provides_facts=True).order_by("code"):
        specs.update({f"{source.fact_prefix}.{spec.name}": spec for spec in _specs(source)})
    return specs


def _years_since(day: dt.date, today: dt.date) -> int:
    years = today.year - day.year
    if (today.month, today.day) < (day.month, day.day):
        years -= 1
    return years


def _records_by_source(sources: list[Source], uscc: str, kept: kept_sources.KeptSources | None = None, *,
                       also: Mapping[str, tuple[composed.Read, list[Any]]] | None = None,
                       into: dict[str, list[tuple[Any, ...]]] | None = None) -> dict[str, list[Record]]:
    """Ask each source's adapter for its records, newest first; the generic table's in one query.

    The registry's own table (the default adapter of the market registry) is read here too, with
    the kept field definitions, rather than through `RegistryAdapter.records_for`, which parses them
    on every call; the records are the same.
    """
    out: dict[str, list[Record]] = {}
    in_table: dict[int, Source] = {}
    kept = kept or kept_sources.current()
    # The registry's and the generic table's reads go together (one round trip on PostgreSQL).
    reads: list[tuple[composed.Read, list[Any]]] = []
    readers: list[Callable[[list[tuple[Any, ...]]], None]] = []
    for source in sources:
        adapter = adapter_for(source)
        if type(adapter) is TableAdapter:
            in_table[source.pk] = source
            out[source.code] = []
        elif type(adapter) is RegistryAdapter:
            read, reader = _registry_read(source, kept.specs(source), uscc, out.setdefault(source.code, []))
            reads.append((read, [uscc]))
            readers.append(reader)
        else:
            out[source.code] = sorted(adapter.records_for(source, uscc), key=lambda r: r.as_of, reverse=True)
    if in_table:
        ids = list(in_table)
        reads.append((composed.read(
            DataRecord, ("source_id", "key", "category", "title", "data", "as_of", "uscc"),
            "{uscc} = %s AND {source_id} IN (" + ", ".join(["%s"] * len(ids)) + ")", order_by=("-as_of", "-id"),
        ), [uscc, *ids]))

        def in_records(rows: list[tuple[Any, ...]]) -> None:
            for source_id, key, category, title, data, as_of, holder in rows:
                source = in_table[source_id]
                out[source.code].append(Record(source.code, source.name, key, category, title, data, as_of, holder))

        readers.append(in_records)
    kept_rows: dict[str, list[tuple[Any, ...]]] = into if into is not None else {}
    for key, (read, params) in (also or {}).items():
        reads.append((read, params))
        readers.append(functools.partial(kept_rows.__setitem__, key))
    for reader, rows in zip(readers, composed.rows_together(reads), strict=True):
        reader(rows)
    return out


_REGISTRY_COLUMNS = frozenset(f.name for f in RegistryRecord._meta.concrete_fields)


def _registry_read(source: Source, specs: list[FieldSpec], uscc: str, out: list[Record]
                   ) -> tuple[composed.Read, Callable[[list[tuple[Any, ...]]], None]]:
    """`RegistryAdapter.records_for` with field definitions parsed once (a field the table lacks reads None):
    the read, and what turns its rows into records appended to `out`."""
    names = [spec.name for spec in specs]
    columns = [n for n in names if n in _REGISTRY_COLUMNS]
    selected = tuple(sorted({*columns, "uscc", "name", "as_of"}))

    def records(rows: list[tuple[Any, ...]]) -> None:
        for values in rows:
            row = dict(zip(selected, values, strict=True))
            data = {name: json_value(row.get(name)) for name in names}
            out.append(Record(source.code, source.name, row["uscc"], "", row["name"], data, row["as_of"], row["uscc"]))

    return composed.read(RegistryRecord, selected, "{uscc} = %s"), records


class Holdings(dict[str, list[Record]]):
    """What some sources hold about one enterprise, read together: source code → records, newest first.

    `also`: the rows of the caller's own reads that went with them (`held_about(also=…)`), by the caller's key.
    """

    def __init__(self, uscc: str, records: dict[str, list[Record]],
                 also: dict[str, list[tuple[Any, ...]]] | None = None) -> None:
        super().__init__(records)
        self.uscc = uscc
        self.also = also or {}


def held_about(uscc: str, *, material_sources: Iterable[str] = (),
               also: Mapping[str, tuple[composed.Read, list[Any]]] | None = None) -> Holdings:
    """Read at once what a decision needs from shared data: every source of facts, and the sources named.

    `material_sources` are `MaterialRequirement.satisfied_by` values ("<source>" or "<source>:<category>");
    the platform's own sources and "form" are left out, as `find_material_record` leaves them out.
    The registry's record and every generic source's records cost one query each, sent together on PostgreSQL
    with the caller's own reads in `also` (key → (read, parameters); their rows come back in `Holdings.also`).
    """
    kept = kept_sources.current()
    wanted = {s.code: s for s in kept.fact_sources}
    for satisfied_by in material_sources:
        code = satisfied_by.partition(":")[0].strip()
        source = kept.by_code.get(code)
        if source is not None and code not in PLATFORM_SOURCES and satisfied_by != FORM:
            wanted.setdefault(code, source)
    extra: dict[str, list[tuple[Any, ...]]] = {}
    records = _records_by_source(list(wanted.values()), uscc, kept, also=also, into=extra)
    return Holdings(uscc, records, extra)


PLATFORM_ACCOUNT = "platform_account"


def account_facts(uscc: str, prefix: str = "registry") -> dict[str, Fact]:
    """What the platform itself knows of an enterprise account: its name and code, labelled as such."""
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is None:
        return {}
    label = str(_("Platform account information"))
    return {f"{prefix}.name": Fact(enterprise.name, PLATFORM_ACCOUNT, label, enterprise.created_at),
            f"{prefix}.uscc": Fact(enterprise.uscc, PLATFORM_ACCOUNT, label, enterprise.created_at)}


def missing_sources(facts: dict[str, Fact]) -> dict[str, str]:
    """Fact prefix → name of every source that holds no record for the enterprise these facts describe."""
    held = {name.split(".", 1)[0] for name, fact in facts.items() if fact.source != PLATFORM_ACCOUNT}
    return {s.fact_prefix: s.name for s in Source.objects.filter(provides_facts=True).order_by("order", "code")
            if s.fact_prefix not in held}


def facts_for(uscc: str, held: Holdings | None = None) -> dict[str, Fact]:
    """Return "<prefix>.<field>" → Fact from each source's most recent record.

    An enterprise the market registry does not (yet) hold still has the name and code of its account
    on this platform, labelled as the platform's own information. `held` (from `held_about`) saves
    reading the records again.
    """
    kept = kept_sources.current()
    sources = kept.fact_sources
    records = held if held is not None and held.uscc == uscc else _records_by_source(sources, uscc, kept)
    out: dict[str, Fact] = {}
    for source in sources:
        found = records.get(source.code)
        if not found:
            continue
        latest = found[0]
        for spec in kept.specs(source):
            value = typed_value(spec, latest.data.get(spec.name))
            out[f"{source.fact_prefix}.{spec.name}"] = Fact(value, source.code, source.name, latest.as_of, spec.unit)
        established = out.get(f"{source.fact_prefix}.established_on")
        if source.code == REGISTRY and established is not None and isinstance(established.value, dt.date):
            out[f"{source.fact_prefix}.years_established"] = Fact(
                _years_since(established.value, timezone.localdate()), source.code, source.name, latest.as_of, "year")
    registry = next((s for s in sources if s.code == REGISTRY), None)
    if registry is not None and not records.get(REGISTRY):
        out.update(account_facts(uscc, registry.fact_prefix))
    return out


def fact_values(facts: dict[str, Fact]) -> dict[str, Any]:
    """Nest facts as {"registry": {...}, "land": {...}} for rule evaluation, with JSON-friendly dates."""
    nested: dict[str, dict[str, Any]] = {}
    for dotted, fact in facts.items():
        group, name = dotted.split(".", 1)
        value = fact.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        nested.setdefault(group, {})[name] = value
    return nested


def records_for(uscc: str, source_code: str, category: str = "") -> list[Record]:
    """The records one source holds about an enterprise (of one category, if given), newest first."""
    source = Source.objects.filter(code=source_code).first()
    if source is None:
        return []
    found = _records_by_source([source], uscc)[source.code]
    return [r for r in found if r.category == category] if category else found


def _in_force(specs: list[FieldSpec], record: Record, today: dt.date) -> bool:
    """A record with a valid/revoked status counts only while valid; one with an expiry only until it."""
    for spec in specs:
        value = record.data.get(spec.name)
        if spec.name == "status" and "valid" in spec.choices and value != "valid":
            return False
        if spec.name == "valid_until" and spec.type == "date" and value:
            until = typed_value(spec, value)
            if isinstance(until, dt.date) and until < today:
                return False
    return True


def _as_shown(specs: list[FieldSpec], record: Record, today: dt.date) -> Record:
    """A record whose status still says valid after its validity ended, shown as expired (as verification says)."""
    status = next((s for s in specs if s.name == "status" and "expired" in s.choices), None)
    if status is None or record.data.get("status") != "valid" or _in_force(specs, record, today):
        return record
    return replace(record, data={**record.data, "status": "expired"})


def find_material_record(uscc: str, satisfied_by: str, held: Holdings | None = None) -> Record | None:
    """The newest record in force that stands in for a material: "<source>" or "<source>:<category>".

    "form" (the application form itself is the material), unknown sources and the platform's own
    sources give None: an e-licence stands in for a material only as its owner's valid row
    (`cases.services.submission`), never as a record anyone could have written here. `held` (from
    `held_about`) saves reading the records again.
    """
    if not satisfied_by or satisfied_by == FORM:
        return None
    code, _sep, category = satisfied_by.partition(":")
    if code.strip() in PLATFORM_SOURCES:
        return None
    kept = kept_sources.current()
    source = kept.by_code.get(code.strip())
    if source is None:
        return None
    specs = kept.specs(source)
    today = timezone.localdate()
    if held is not None and held.uscc == uscc and source.code in held:
        found = held[source.code]
    else:
        found = _records_by_source([source], uscc, kept)[source.code]
    for record in found:
        if category and record.category != category.strip():
            continue
        if _in_force(specs, record, today):
            return record
    return None


def holdings_for(user: User, uscc: str) -> list[Holding]:
    """What government holds on an enterprise that this user may read, per source with records.

    Which sources: `readable_sources` (the enterprise itself, reviewers by their department,
    street and district staff in their region, an agent under an active authorisation only the
    sources its 一件事 read). Raise NotFound for an enterprise the user may not read at all.
    """
    try:
        code = validate_uscc(uscc)
    except InvalidUSCC:
        raise NotFound(_("Not found.")) from None
    sources = readable_sources(user, code)
    if not sources:
        raise NotFound(_("Not found."))
    records = _records_by_source(sources, code)
    today = timezone.localdate()
    holdings = []
    for source in sources:
        if records[source.code]:
            specs = _specs(source)
            holdings.append(Holding(source, specs, [_as_shown(specs, r, today) for r in records[source.code]]))
    if not holdings and not Enterprise.objects.filter(uscc=code).exists():
        raise NotFound(_("Not found."))
    return holdings


def department_names(codes: set[str], english: bool = False) -> dict[str, str]:
    """Department code → name in the active language."""
    return {d.code: (d.name_en if english else "") or d.name for d in Department.objects.filter(code__in=codes)}


def source_summaries() -> list[dict[str, Any]]:
    """Every source with its fields, last import and number of records held locally."""
    per_source = DataRecord.objects.order_by().values("source_id").annotate(n=Count("id"))
    counts = dict(per_source.values_list("source_id", "n"))
    registry_count = RegistryRecord.objects.count()
    out = []
    for source in Source.objects.all():
        held = registry_count if source.adapter == Source.Adapter.REGISTRY else counts.get(source.pk, 0)
        out.append({"source": source, "fields": _specs(source), "records": held})
    return out


def labelled_holdings(user: User, uscc: str, *, english: bool = False) -> list[dict[str, Any]]:
    """Holdings shaped for a page: source and department names, and each record's values with labels."""
    holdings = holdings_for(user, uscc)
    departments = department_names({h.source.department_code for h in holdings}, english)
    out = []
    for holding in holdings:
        source = holding.source
        out.append({
            "code": source.code, "name": source.display_name(english),
            "department": departments.get(source.department_code) or source.department_name,
            "as_of": holding.as_of,
            "records": [{
                "key": record.key, "title": record.title, "as_of": record.as_of,
                "values": [(spec.display_label(english), spec.display_value(record.data.get(spec.name), english))
                           for spec in holding.fields],
            } for record in holding.records],
        })
    return out
