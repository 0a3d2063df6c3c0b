"""Where a source's records live: a local table today, a department's own system tomorrow.

Callers never read a source's tables directly; they ask `adapter_for(source)`. A deployment
replaces one source by naming a class in the setting

    QINQING_DATAHUB_ADAPTERS = {"social_insurance": "myorg.hr_bridge.SocialInsuranceAdapter"}

and nothing else changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.module_loading import import_string

from qinqing.datahub.models import PLATFORM_SOURCES, DataRecord, RegistryRecord, Source
from qinqing.datahub.rows import CleanRow, field_specs, json_value

# SQLite caps a statement at 999 parameters (Django's figure), so its batches are small anyway;
# PostgreSQL takes 65,535, and 2,000 rows of 13 columns stay well below that.
BATCH_SIZE = 2000
SMALL_BATCH = 500
# Model instances are built per chunk, so that a large import never holds all of them at once.
CHUNK_SIZE = 10_000


@dataclass(frozen=True)
class Record:
    """One record of a source about one enterprise; `data` holds JSON-friendly values by field name."""

    source: str
    source_name: str
    key: str
    category: str
    title: str
    data: dict[str, Any]
    as_of: dt.datetime
    uscc: str = ""


@dataclass(frozen=True)
class Change:
    """What an import changed about one enterprise in one source."""

    fields: frozenset[str]
    created: bool  # the enterprise had no record in the source before
    region: str = ""  # the enterprise's region code, when the rows carry it (the registry does)


@dataclass(frozen=True)
class ImportResult:
    source: str
    rows: int
    created: int
    updated: int
    seconds: float = 0.0
    as_of: dt.datetime | None = field(default=None)
    changes: dict[str, Change] = field(default_factory=dict)  # by USCC; rows written unchanged are left out

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@runtime_checkable
class SourceAdapter(Protocol):
    """Read a source's records about an enterprise; write validated rows into it."""

    def records_for(self, source: Source, uscc: str) -> list[Record]:
        """Every record the source holds about one enterprise, newest first."""
        ...

    def import_rows(self, source: Source, rows: Sequence[CleanRow], *, as_of: dt.datetime) -> ImportResult:
        """Upsert validated rows by key, inside the caller's transaction."""
        ...


def _chunks(rows: Sequence[CleanRow], size: int = CHUNK_SIZE) -> Iterator[Sequence[CleanRow]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _created(queryset: QuerySet[Any], key_lookup: str, keys: list[str], write: Callable[[], None]) -> int:
    """Run `write` (an upsert of `keys` into `queryset`) and return how many of the keys were new.

    A small batch asks which of its keys exist; a large one counts the table before and after,
    which is exact because import_records locks the source for the whole import.
    """
    if len(keys) <= SMALL_BATCH:
        existing = queryset.filter(**{f"{key_lookup}__in": keys}).count()
        write()
        return len(keys) - existing
    before = queryset.count()
    write()
    return int(queryset.count() - before)


# Keys per look-up of existing rows: below SQLite's historical limit of 999 parameters.
LOOKUP_BATCH = 900


def _merge_change(changes: dict[str, Change], uscc: str, fields: set[str], created: bool, region: str = "") -> None:
    if not fields and not created:
        return
    before = changes.get(uscc)
    if before is None:
        changes[uscc] = Change(frozenset(fields), created, region)
    else:
        changes[uscc] = Change(before.fields | fields, before.created and created, region or before.region)


def _differing(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    return {name for name in new.keys() | old.keys() if old.get(name) != new.get(name)}


def _new(model: type[Model], base: dict[str, Any], values: dict[str, Any]) -> Any:
    """Build an unsaved instance from `base` and then `values` (every column), skipping Model.__init__.

    `__init__` walks every field with its defaults and signals; for 100,000 rows that costs more
    than building the SQL. Only bulk_create sees these objects, and every column is given.
    """
    obj = model.__new__(model)
    attrs = obj.__dict__
    attrs.update(base)
    attrs.update(values)
    obj._state = ModelState()
    return obj


class RegistryAdapter:
    """The market-supervision registry, kept in its own typed table (one row per enterprise)."""

    COLUMNS = (
        "name", "legal_representative", "registered_capital", "industry_code", "industry_name", "entity_type",
        "address", "region_code", "established_on", "status",
    )

    def records_for(self, source: Source, uscc: str) -> list[Record]:
        names = [spec.name for spec in field_specs(source)]
        out = []
        for row in RegistryRecord.objects.filter(uscc=uscc):
            data = {name: json_value(getattr(row, name, None)) for name in names}
            out.append(Record(source.code, source.name, row.uscc, "", row.name, data, row.as_of, row.uscc))
        return out

    def import_rows(self, source: Source, rows: Sequence[CleanRow], *, as_of: dt.datetime) -> ImportResult:
        columns = self.COLUMNS

        # Every column the model has: the source's fields may be edited, the table may not.
        base = {name: None for name in columns} | {"id": None, "source_id": source.pk, "as_of": as_of}

        def write() -> None:
            for chunk in _chunks(rows):
                objs = []
                for row in chunk:
                    obj = _new(RegistryRecord, base, row.values)
                    obj.uscc = row.uscc
                    objs.append(obj)
                RegistryRecord.objects.bulk_create(
                    objs, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["uscc"],
                    update_fields=[*columns, "source", "as_of"],
                )

        changes = self._changes(rows, columns)
        created = _created(RegistryRecord.objects.all(), "uscc", [r.uscc for r in rows], write)
        return ImportResult(source.code, len(rows), created, len(rows) - created, as_of=as_of, changes=changes)

    @staticmethod
    def _changes(rows: Sequence[CleanRow], columns: Sequence[str]) -> dict[str, Change]:
        """Which fields of which enterprises the rows change (typed values compared: 1.00 equals 1)."""
        changes: dict[str, Change] = {}
        for start in range(0, len(rows), LOOKUP_BATCH):
            batch = rows[start:start + LOOKUP_BATCH]
            held = {r["uscc"]: r for r in RegistryRecord.objects.filter(uscc__in=[row.uscc for row in batch])
                    .values("uscc", *columns)}
            for row in batch:
                old = held.get(row.uscc)
                new = {name: row.values.get(name) for name in columns}
                region = str(new.get("region_code") or "")
                if old is None:
                    _merge_change(changes, row.uscc, {n for n, v in new.items() if v is not None}, True, region)
                else:
                    _merge_change(changes, row.uscc, _differing({n: old[n] for n in columns}, new), False, region)
        return changes


class TableAdapter:
    """Any other source: one DataRecord per (source, key), values in JSON."""

    def records_for(self, source: Source, uscc: str) -> list[Record]:
        rows = DataRecord.objects.filter(source=source, uscc=uscc).order_by("-as_of", "-id")
        return [self.record(source, r) for r in rows]

    @staticmethod
    def record(source: Source, row: DataRecord) -> Record:
        return Record(source.code, source.name, row.key, row.category, row.title, row.data, row.as_of, row.uscc)

    def import_rows(self, source: Source, rows: Sequence[CleanRow], *, as_of: dt.datetime) -> ImportResult:
        base = {"id": None, "source_id": source.pk, "as_of": as_of, "imported_at": timezone.now()}

        def write() -> None:
            for chunk in _chunks(rows):
                objs = [
                    _new(DataRecord, base, {
                        "uscc": row.uscc, "key": row.key, "category": row.category, "title": row.title,
                        "data": {k: json_value(v) for k, v in row.values.items()},
                    })
                    for row in chunk
                ]
                DataRecord.objects.bulk_create(
                    objs, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["source", "key"],
                    update_fields=["uscc", "category", "title", "data", "as_of", "imported_at"],
                )

        changes = self._changes(source, rows)
        created = _created(DataRecord.objects.filter(source=source), "key", [r.key for r in rows], write)
        return ImportResult(source.code, len(rows), created, len(rows) - created, as_of=as_of, changes=changes)

    @staticmethod
    def _changes(source: Source, rows: Sequence[CleanRow]) -> dict[str, Change]:
        """Which fields of which enterprises the rows change, compared as stored (JSON values)."""
        changes: dict[str, Change] = {}
        for start in range(0, len(rows), LOOKUP_BATCH):
            batch = rows[start:start + LOOKUP_BATCH]
            held = {key: (uscc, data) for key, uscc, data in DataRecord.objects.filter(
                source=source, key__in=[row.key for row in batch]).values_list("key", "uscc", "data")}
            for row in batch:
                new = {k: json_value(v) for k, v in row.values.items()}
                old = held.get(row.key)
                if old is None:
                    _merge_change(changes, row.uscc, {k for k, v in new.items() if v is not None}, True)
                elif old[0] != row.uscc:  # the record moved to another enterprise: both changed
                    _merge_change(changes, old[0], set(old[1]), False)
                    _merge_change(changes, row.uscc, set(new), True)
                else:
                    _merge_change(changes, row.uscc, _differing(old[1], new), False)
        return changes


DEFAULT_ADAPTERS: dict[str, type[SourceAdapter]] = {
    Source.Adapter.TABLE: TableAdapter,
    Source.Adapter.REGISTRY: RegistryAdapter,
}


def adapter_for(source: Source) -> SourceAdapter:
    """The adapter serving a source: the setting's override for its code, else by `Source.adapter`.

    The platform's own sources (the e-licences) are never served by an override: no department's
    system may write or shadow what the licence service signs.
    """
    overrides: dict[str, str] = getattr(settings, "QINQING_DATAHUB_ADAPTERS", {}) or {}
    path = overrides.get(source.code)
    if source.code in PLATFORM_SOURCES:
        if path:
            raise ImproperlyConfigured(
                f"QINQING_DATAHUB_ADAPTERS may not name the platform's own source {source.code!r}")
        return TableAdapter()
    if path:
        adapter: SourceAdapter = import_string(path)()
        return adapter
    return DEFAULT_ADAPTERS.get(source.adapter, TableAdapter)()
