"""Writes of the data hub: sources from their data file, batch imports, and the platform's own licences."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged, LicenceIssued, LicenceRevoked
from qinqing.core.ids import PROJECT_TYPE_FILING, InvalidUSCC, format_project_code, validate_uscc
from qinqing.datahub import sources as kept_sources
from qinqing.datahub.adapters import (
    LOOKUP_BATCH,
    Change,
    ImportResult,
    RegistryAdapter,
    TableAdapter,
    adapter_for,
)
from qinqing.datahub.bulk import cyclic_gc_paused
from qinqing.datahub.copyload import copy_import
from qinqing.datahub.errors import PlatformSource, UnknownSource
from qinqing.datahub.models import LICENCES, PLATFORM_SOURCES, DataRecord, RegistryRecord, Source
from qinqing.datahub.rows import RowValidator, SourceDefinitionError, Table, field_specs, json_value
from qinqing.datahub.rows.parsing import CHUNK_ROWS, Progress, csv_file_chunks
from qinqing.datahub.rows.validation import CATEGORY_MAX_LENGTH, KEY_MAX_LENGTH, TITLE_MAX_LENGTH
from qinqing.datahub.staging import Steps, staged_import

DATA_DIR = Path(__file__).resolve().parent / "data"
_SOURCE_DEFAULTS: dict[str, Any] = {
    "name": "", "name_en": "", "department_code": "", "department_name": "", "description": "",
    "fact_prefix": "", "provides_facts": True, "fields": [], "key_field": "", "category_field": "",
    "title_field": "", "readers": [], "adapter": Source.Adapter.TABLE,
}


def load_sources(path: Path | None = None) -> int:
    """Create or update every source described in data/sources.json; safe to run twice."""
    items = json.loads((path or DATA_DIR / "sources.json").read_text(encoding="utf-8"))
    with transaction.atomic():
        for order, item in enumerate(items, start=1):
            values = {name: item.get(name, default) for name, default in _SOURCE_DEFAULTS.items()}
            values["order"] = order
            candidate = Source(code=item["code"], **values)
            try:
                names = {spec.name for spec in field_specs(candidate)}
            except SourceDefinitionError as exc:
                raise ValueError(f"{item['code']}: {exc}") from exc
            if candidate.key_field not in names:
                raise ValueError(f"{item['code']}: key_field {candidate.key_field!r} is not one of its fields")
            Source.objects.update_or_create(code=item["code"], defaults=values)
    return len(items)


def load_demo_records(*, uscc_for: Callable[[int], str], path: Path | None = None) -> dict[str, int]:
    """Import the demo enterprises' records (data/demo_records.json) through the ordinary import."""
    document = json.loads((path or DATA_DIR / "demo_records.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for source_code, items in document.items():
        if source_code.startswith("_"):
            continue
        rows = []
        for item in items:
            uscc = uscc_for(int(item["enterprise"]))
            row = {k: (uscc if v == "$uscc" else v) for k, v in item.items() if k != "enterprise"}
            rows.append({"uscc": uscc, **row})
        result = import_records(source_code=source_code, rows=rows, actor="demo")
        counts[source_code] = result.rows
    return counts


def _source(code: str) -> Source:
    source = Source.objects.filter(code=code).first()
    if source is None:
        raise UnknownSource(_("No data source has the code %(code)s.") % {"code": code})
    return source


def _aware(moment: dt.datetime | dt.date | None) -> dt.datetime:
    if moment is None:
        return timezone.now()
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def import_records(
    *, source_code: str, rows: Sequence[Mapping[str, Any]] | Table, actor: Any, as_of: dt.datetime | None = None,
) -> ImportResult:
    """Validate every row; if all are good, upsert them by key in one transaction with one audit record.

    A bad row raises ImportRejected (a ValidationFailed) listing every (line, field, reason), and
    nothing is written. `as_of` is when the supplying system's data was true (default: now).
    The platform's own sources (the e-licences) are refused: only the licence service writes them.
    """
    if source_code.strip() in PLATFORM_SOURCES:
        raise PlatformSource(_("本平台签发的电子证照只由证照服务写入，不能导入。"))
    started = time.perf_counter()
    source = _source(source_code)
    stamp = _aware(as_of)
    with cyclic_gc_paused():
        result = _validate_and_write(source, rows, stamp, actor)
    return replace(result, seconds=time.perf_counter() - started, as_of=stamp)


def import_file(
    *, source_code: str, path: Path, actor: Any, as_of: dt.datetime | None = None,
    progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS, sql_path: bool = True, steps: Steps | None = None,
) -> ImportResult:
    """Import a CSV file of any size, streamed a chunk at a time (memory bounded by the chunk), all or nothing.

    The market registry (and any source its default adapter serves) goes through a staging table and one
    upsert (`datahub.staging`); on PostgreSQL the file's bytes go through COPY and are checked in SQL first
    (`datahub.copyload`, `sql_path`), with the Python validator as the fallback that words the refusals.
    Another source's file is read whole and imported by `import_records`.
    `progress(bytes read, file size)` is called after each chunk; `steps(name)` as each later step begins.
    """
    if source_code.strip() in PLATFORM_SOURCES:
        raise PlatformSource(_("本平台签发的电子证照只由证照服务写入，不能导入。"))
    started = time.perf_counter()
    source = _source(source_code)
    stamp = _aware(as_of)
    if not _staged(source):
        from qinqing.datahub.rows import parse

        rows = parse(path.read_bytes(), "csv")
        return import_records(source_code=source_code, rows=rows, actor=actor, as_of=as_of)

    def write(locked: Source) -> ImportResult:
        # PostgreSQL: the file's bytes through COPY and checks in SQL; Python when they refuse anything.
        fast = copy_import(locked, path, as_of=stamp, progress=progress, steps=steps) if sql_path else None
        return fast or staged_import(
            locked, csv_file_chunks(path, chunk_rows=chunk_rows, progress=progress), as_of=stamp, steps=steps)

    with cyclic_gc_paused():
        result = _write(source, stamp, actor, write)
    return replace(result, seconds=time.perf_counter() - started, as_of=stamp)


def _staged(source: Source) -> bool:
    """Whether a source's imports go through the staging table: the registry's own table, not an override."""
    return type(adapter_for(source)) is RegistryAdapter


def _validate_and_write(source: Source, rows: Sequence[Mapping[str, Any]] | Table, stamp: dt.datetime, actor: Any,
                        ) -> ImportResult:
    if _staged(source):
        table = rows if isinstance(rows, Table) else list(rows)
        return _write(source, stamp, actor, lambda s: staged_import(s, [table], as_of=stamp, dedupe_in_memory=True))
    clean = RowValidator(source).validate(rows)
    adapter = adapter_for(source)

    def write(locked: Source) -> ImportResult:
        result = adapter.import_rows(locked, clean, as_of=stamp)
        _emit_changes(locked, result.changes)
        return result

    return _write(source, stamp, actor, write)


def _write(source: Source, stamp: dt.datetime, actor: Any, write: Callable[[Source], ImportResult]) -> ImportResult:
    """Lock the source, write (`write` emits the changes), stamp the source and record one audit event."""
    with events.atomic():
        # One import of a source at a time, so that the created/updated counts are exact.
        source = Source.objects.select_for_update().get(pk=source.pk)
        result = write(source)
        before = {"last_imported_at": source.last_imported_at}
        source.last_imported_at = timezone.now()
        source.save(update_fields=["last_imported_at"])
        record_event(
            actor=actor, action="datahub.records_imported", obj=source, before=before,
            after={"source": source.code, "rows": result.rows, "created": result.created,
                   "updated": result.updated, "as_of": stamp, "last_imported_at": source.last_imported_at},
        )
    return result


def _emit_changes(source: Source, changes: Mapping[str, Change]) -> None:
    """One EnterpriseFactsChanged per enterprise whose records changed, written with one INSERT.

    An enterprise new to the source is `created` and its event names no fields (everything it has there is new).
    """
    usccs = sorted(changes)
    regions = {uscc: change.region for uscc, change in changes.items() if change.region}
    unknown = [uscc for uscc in usccs if uscc not in regions]
    for start in range(0, len(unknown), LOOKUP_BATCH):
        regions.update(RegistryRecord.objects.filter(uscc__in=unknown[start:start + LOOKUP_BATCH])
                       .values_list("uscc", "region_code"))
    events.emit_many([
        EnterpriseFactsChanged(
            sources=(source.code,), created=changes[uscc].created, enterprise=uscc, region=regions.get(uscc) or "",
            fields=() if changes[uscc].created else tuple(sorted(f"{source.code}.{name}" for name in changes[uscc].fields)),
        )
        for uscc in usccs
    ])


def record_licence(
    *, uscc: str, number: str, matter_code: str, title: str, issued_at: dt.datetime | dt.date,
    valid_until: dt.date | None, status: str, region: str = "",
) -> None:
    """Upsert a licence the platform issued (or revoked) into the `licences` source.

    Runs inside the caller's transaction (issuing or revoking the licence), whose audit record
    covers this write. A licence new to the source (every issue) is one `INSERT … ON CONFLICT DO
    NOTHING`: the platform wrote the row itself, so it needs no import validation, and a new key
    changes every field it fills. Anything else (a revocation, a value the import would refuse)
    goes through the import adapter as before, with the same records and events as a result.
    """
    source = kept_sources.source(LICENCES)
    if source is None:
        load_sources()
        source = _source(LICENCES)
    if isinstance(issued_at, dt.datetime):
        issued_on = timezone.localtime(issued_at).date() if timezone.is_aware(issued_at) else issued_at.date()
    else:
        issued_on = issued_at
    row = {"uscc": uscc, "number": number, "matter": matter_code, "title": title, "issued_at": issued_on,
           "valid_until": valid_until, "status": str(status)}
    with events.atomic():
        if _insert_new_licence(source, row, region):
            return
        clean = RowValidator(source).validate([row])
        result = adapter_for(source).import_rows(source, clean, as_of=timezone.now())
        changes = {k: replace(c, region=c.region or region) for k, c in result.changes.items()}
        _emit_changes(source, changes)


def _insert_new_licence(source: Source, row: dict[str, Any], region: str) -> bool:
    """Write a licence row the validator would take unchanged, if its key is new: one statement. False: not done."""
    specs = kept_sources.current().specs(source)
    if not specs or type(adapter_for(source)) is not TableAdapter:
        return False
    values: dict[str, Any] = {}
    for spec in specs:
        value = row.get(spec.name)
        if spec.type == "date":
            if not (value is None or type(value) is dt.date):
                return False
        elif spec.type == "text":
            if not (value is None or (isinstance(value, str) and value == value.strip()
                                      and (spec.max_length is None or len(value) <= spec.max_length)
                                      and (not spec.choices or value in spec.choices))):
                return False
        else:
            return False
        if value in (None, "") and (spec.required or spec.name == source.key_field):
            return False
        values[spec.name] = None if value == "" else value
    key = str(values[source.key_field])
    category = str(values.get(source.category_field) or "") if source.category_field else ""
    title = (str(values.get(source.title_field) or key) if source.title_field else key)[:TITLE_MAX_LENGTH]
    if len(key) > KEY_MAX_LENGTH or len(category) > CATEGORY_MAX_LENGTH or not validate_uscc_quietly(row["uscc"]):
        return False
    data = {name: json_value(value) for name, value in values.items()}
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(DataRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source_id, uscc, key, category, title, data, as_of, imported_at, synthetic) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source_id, key) DO NOTHING RETURNING id",
            [source.pk, row["uscc"], key, category, title,
             DataRecord._meta.get_field("data").get_db_prep_value(data, connection), adapt(now), adapt(now), False],
        )
        if cursor.fetchone() is None:
            return False  # the key is held already: the adapter compares and updates
    fields = frozenset(name for name, value in data.items() if value is not None)
    _emit_changes(source, {row["uscc"]: Change(fields, True, region)})
    return True


def validate_uscc_quietly(value: Any) -> bool:
    try:
        return bool(validate_uscc(value) == value)
    except InvalidUSCC:
        return False


PROJECT_CODES = "project_codes"


def assign_project_code(
    *, uscc: str, coded_on: dt.date, division: str, industry: str, name: str, location: str = "",
    total_investment: Any = None, rng: secrets.SystemRandom | None = None,
) -> str:
    """Give a filed project its national project code and record it in the `project_codes` source.

    The serial is drawn at random among those not yet used under the same prefix. Runs inside the
    caller's transaction (the filing's approval), whose audit record covers this write.
    """
    source = Source.objects.filter(code=PROJECT_CODES).first()
    if source is None:
        load_sources()
        source = _source(PROJECT_CODES)
    draw = rng or secrets.SystemRandom()
    while True:
        code = format_project_code(coded_on=coded_on, division=division, industry=industry,
                                   project_type=PROJECT_TYPE_FILING, serial=draw.randrange(1, 1_000_000))
        if not DataRecord.objects.filter(source=source, key=code).exists():
            break
    row = {"uscc": uscc, "code": code, "name": name[:200], "location": location[:200] or None,
           "total_investment": total_investment, "filed_on": coded_on}
    clean = RowValidator(source).validate([row])
    with events.atomic():
        result = adapter_for(source).import_rows(source, clean, as_of=timezone.now())
        _emit_changes(source, result.changes)
    return code


def on_licence_issued(event: LicenceIssued) -> None:
    """Keep the platform's own licences source in step with the licence just issued (same transaction)."""
    _record_licence_event(event, status="valid")


def on_licence_revoked(event: LicenceRevoked) -> None:
    """Mark a revoked licence in the licences source (same transaction)."""
    _record_licence_event(event, status="revoked")


def _record_licence_event(event: LicenceIssued | LicenceRevoked, *, status: str) -> None:
    record_licence(
        uscc=event.enterprise, number=event.number, matter_code=event.matter, title=event.title,
        issued_at=dt.datetime.fromisoformat(event.issued_at),
        valid_until=dt.date.fromisoformat(event.valid_until) if event.valid_until else None, status=status,
        region=event.region,
    )
