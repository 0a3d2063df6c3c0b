"""Shared-data endpoints: the sources, batch imports, and what government holds on an enterprise."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema

from qinqing.accounts.http import request_user
from qinqing.accounts.models import Role
from qinqing.core.api import ErrorOut
from qinqing.core.ids import normalise_uscc
from qinqing.datahub.adapters import ImportResult, Record
from qinqing.datahub.errors import (
    BodyTooLarge,
    ImportForbidden,
    PlatformSource,
    UnknownSource,
    UnsupportedMediaType,
)
from qinqing.datahub.models import PLATFORM_SOURCES, Source
from qinqing.datahub.queries import Holding, department_names, holdings_for, source_summaries
from qinqing.datahub.rows import FieldSpec, parse
from qinqing.datahub.services import import_records

router = Router(tags=["datahub"])

# A 100,000-row registry CSV is 15–25 MB; this endpoint alone reads bodies up to this size
# (everything else keeps DATA_UPLOAD_MAX_MEMORY_SIZE).
DEFAULT_MAX_IMPORT_BYTES = 50 * 1024 * 1024

DataValue = str | int | None


class DataFieldOut(Schema):
    name: str
    label: str
    label_en: str
    type: Literal["text", "integer", "decimal", "date"]
    required: bool
    max_length: int | None = None
    choices: list[str] = []


class DataSourceOut(Schema):
    code: str
    name: str
    name_en: str
    department: str
    department_code: str
    description: str
    fact_prefix: str
    key_field: str
    readers: list[str]
    fields: list[DataFieldOut]
    last_imported_at: dt.datetime | None = None
    records: int


class DataImportOut(Schema):
    source: str
    rows: int
    created: int
    updated: int
    seconds: float
    as_of: dt.datetime


class DataRecordOut(Schema):
    key: str
    category: str
    title: str
    as_of: dt.datetime
    data: dict[str, DataValue]


class DataHoldingOut(Schema):
    code: str
    name: str
    name_en: str
    department: str
    department_code: str
    as_of: dt.datetime
    fields: list[DataFieldOut]
    records: list[DataRecordOut]


class EnterpriseDataOut(Schema):
    uscc: str
    sources: list[DataHoldingOut]


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

_IMPORT_BODY = {
    "required": True,
    "description": "The records: JSON (a list of objects, or {\"records\": [...]}) or CSV with a header line. "
                   "Columns: uscc and the source's field names.",
    "content": {
        "application/json": {"schema": {"oneOf": [
            {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            {"type": "object", "properties": {"records": {"type": "array", "items": {
                "type": "object", "additionalProperties": True}}}, "required": ["records"]},
        ]}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _field(spec: FieldSpec) -> dict[str, Any]:
    return {"name": spec.name, "label": spec.label, "label_en": spec.label_en, "type": spec.type,
            "required": spec.required, "max_length": spec.max_length, "choices": list(spec.choices)}


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _record(record: Record) -> dict[str, Any]:
    return {"key": record.key, "category": record.category, "title": record.title, "as_of": record.as_of,
            "data": record.data}


def _holding(holding: Holding, departments: dict[str, str]) -> dict[str, Any]:
    source = holding.source
    return {
        "code": source.code, "name": source.name, "name_en": source.name_en,
        "department": departments.get(source.department_code) or source.department_name,
        "department_code": source.department_code, "as_of": holding.as_of,
        "fields": [_field(s) for s in holding.fields], "records": [_record(r) for r in holding.records],
    }


def _body(request: HttpRequest) -> bytes:
    """Read the body under this endpoint's own limit (larger than the site-wide one)."""
    limit = int(getattr(settings, "QINQING_DATAHUB_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT_BYTES))
    too_large = BodyTooLarge(_("The request body is too large (at most %(kb)d KB).") % {"kb": limit // 1024})
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


@router.get("/datahub/sources", response={200: list[DataSourceOut], **ERRORS})
def sources(request: HttpRequest) -> list[dict[str, Any]]:
    """Every shared-data source: its department, fields, last import and number of records."""
    summaries = source_summaries()
    departments = department_names({s["source"].department_code for s in summaries}, _english())
    out = []
    for item in summaries:
        source: Source = item["source"]
        out.append({
            "code": source.code, "name": source.name, "name_en": source.name_en,
            "department": departments.get(source.department_code) or source.department_name,
            "department_code": source.department_code, "description": source.description,
            "fact_prefix": source.fact_prefix, "key_field": source.key_field,
            "readers": list(source.readers or []),
            "fields": [_field(s) for s in item["fields"]], "last_imported_at": source.last_imported_at,
            "records": item["records"],
        })
    return out


@router.post(
    "/datahub/{source}/records",
    response={200: DataImportOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut,
              415: ErrorOut},
    openapi_extra={"requestBody": _IMPORT_BODY},
)
def import_batch(request: HttpRequest, source: str) -> ImportResult:
    """Import a batch of records, upserted by key: all or nothing.

    Only data importers. A bad row answers 400 and writes nothing; `errors` is keyed
    "<line>.<field>" (CSV: the header is line 1; JSON: record n is line n).
    """
    user = request_user(request)
    if not (user.is_superuser or user.has_role(Role.DATA_IMPORTER)):
        raise ImportForbidden(_("Only data importers may import records."))
    if source in PLATFORM_SOURCES:  # refused before the body is read; import_records refuses it too
        raise PlatformSource(_("本平台签发的电子证照只由证照服务写入，不能导入。"))
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", "text/csv"):
        raise UnsupportedMediaType(_("Send application/json or text/csv."))
    if not Source.objects.filter(code=source).exists():
        raise UnknownSource(_("No data source has the code %(code)s.") % {"code": source})
    table = parse(_body(request), "csv" if content_type == "text/csv" else "json")
    return import_records(source_code=source, rows=table, actor=user)


@router.get("/datahub/enterprises/{uscc}", response={200: EnterpriseDataOut, **ERRORS})
def enterprise_data(request: HttpRequest, uscc: str) -> dict[str, Any]:
    """What government holds on an enterprise, per source, as far as the caller may read it."""
    holdings = holdings_for(request_user(request), uscc)
    departments = department_names({h.source.department_code for h in holdings}, _english())
    return {"uscc": normalise_uscc(uscc), "sources": [_holding(h, departments) for h in holdings]}
