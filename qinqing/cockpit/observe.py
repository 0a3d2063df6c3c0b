"""Read what the government's data says about many enterprises at once (one query per source).

The consumer and the rebuild both classify an enterprise from the same reading, so the two paths
cannot disagree about what an enterprise is; only about when they saw it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection

from qinqing.accounts.models import Enterprise
from qinqing.cockpit import classify
from qinqing.core.lookups import among
from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.regions.models import Region

SOCIAL, ANNUAL, ABNORMAL = "social_insurance", "enterprise_annual", "abnormal_operations"
# What the cockpit reads of each record: insured employees; revenue, tags and tax paid of the annual report.
SOCIAL_FIELDS = ("insured_count",)
ANNUAL_FIELDS = ("revenue", "tax_paid", *classify.TAGS)
CHUNK = 2_000


@dataclass(frozen=True)
class Observed:
    """One enterprise as the data says it is now, classified for the cockpit."""

    uscc: str
    name: str
    region_id: int | None
    path: str
    status: str
    industry: str
    size: str
    capital: Decimal | None
    capital_band: str
    tags: tuple[str, ...]
    headcount: int | None
    established_on: dt.date | None
    tax_paid: Decimal | None = None
    tax_year: str = ""

    def state_fields(self) -> dict[str, Any]:
        return {"name": self.name[:200], "region_id": self.region_id, "path": self.path, "status": self.status,
                "industry": self.industry, "size": self.size, "capital": self.capital,
                "capital_band": self.capital_band, "tags": classify.tag_text(self.tags), "headcount": self.headcount,
                "established_on": self.established_on, "tax_paid": self.tax_paid, "tax_year": self.tax_year}


class Regions:
    """Region codes and ids to (id, path), loaded once per batch or rebuild."""

    def __init__(self) -> None:
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_id: dict[int, tuple[str, str]] = {}
        for pk, code, path in Region.objects.values_list("pk", "code", "path"):
            self.by_code[code] = (pk, path)
            self.by_id[pk] = (code, path)

    @classmethod
    def current(cls) -> Regions:
        """The region tree as this process keeps it between batches, read again when the tree has changed.

        The check is one aggregate row (count, largest id, a sum over parents and path lengths), so an edit,
        an import or a move of a node made by any process, with or without signals, is seen by the next batch.
        """
        mark = _region_mark()
        with _regions_lock:
            kept = _regions_kept.get("tree")
            if isinstance(kept, Regions) and _regions_kept.get("mark") == mark:
                return kept
        tree = cls()
        with _regions_lock:
            _regions_kept["tree"], _regions_kept["mark"] = tree, mark
        return tree

    def place(self, registry_code: str, account_region_id: int | None) -> tuple[int | None, str]:
        """The node: the registry's region, or the account's placement when it lies deeper inside it."""
        registered = self.by_code.get(registry_code)
        placed = self.by_id.get(account_region_id) if account_region_id is not None else None
        if registered is None:
            return (account_region_id, placed[1]) if placed is not None else (None, "")
        if placed is not None and placed[1].startswith(registered[1]):
            return account_region_id, placed[1]
        return registered


_regions_lock = threading.Lock()
_regions_kept: dict[str, Any] = {}


def _region_mark() -> tuple[Any, ...]:
    table = connection.ops.quote_name(Region._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id), sum(coalesce(parent_id, 0) * (id % 9973 + 1)), "  # noqa: S608
                       f"sum(length(path) * (id % 7919 + 1)), sum(length(code) * (id % 7907 + 1)) FROM {table}")
        row = cursor.fetchone()
    return tuple(row) if row else ()


def forget_regions() -> None:
    """Drop this process's copy of the region tree (the next batch reads it again)."""
    with _regions_lock:
        _regions_kept.clear()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


CENT = Decimal("0.01")


def _money(value: Any) -> Decimal | None:
    """An amount in yuan to the fen (as stored), None when missing, not a number or negative."""
    amount = _decimal(value)
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        return None
    return amount.quantize(CENT)


def _int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _latest(source_id: int | None, usccs: Sequence[str], *, by: str, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The given fields of the most recent record per enterprise (by `as_of`, or by `category` for yearly reports).

    On PostgreSQL the database picks the record (`DISTINCT ON`) and sends only those fields, not the whole
    document; elsewhere every record is read and the latest kept here. Both keep the greatest (`by`, key).
    """
    if source_id is None:
        return {}
    if connection.vendor == "postgresql":
        return _latest_pg(source_id, usccs, by=by, fields=fields)
    out: dict[str, tuple[Any, dict[str, Any]]] = {}
    for chunk in _chunks(usccs):
        rows = among(DataRecord.objects.filter(source_id=source_id), "uscc", chunk).values_list("uscc", by, "key", "data")
        for uscc, order, key, data in rows:
            rank = (order, key)
            if uscc not in out or rank > out[uscc][0]:
                out[uscc] = (rank, data)
    return {uscc: {f: data.get(f) for f in fields} | {by: rank[0]} for uscc, (rank, data) in out.items()}


def _scalar(text: Any) -> Any:
    """A JSON value as PostgreSQL sends it (text); a plain string is unquoted without the decoder."""
    if not isinstance(text, str):
        return text
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "\\" not in text:
        return text[1:-1]
    return json.loads(text)


def _latest_pg(source_id: int, usccs: Sequence[str], *, by: str, fields: Sequence[str]) -> dict[str, dict[str, Any]]:
    q = connection.ops.quote_name
    table = q(DataRecord._meta.db_table)
    order = q({"as_of": "as_of", "category": "category"}[by])
    picked = ", ".join("data -> %s" for _ in fields)
    sql = (f"SELECT DISTINCT ON (uscc) uscc, {order}, {picked} FROM {table} "  # noqa: S608 - names from the model
           f"WHERE source_id = %s AND uscc = ANY(%s) ORDER BY uscc, {order} DESC, key DESC")
    out: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(usccs):
            cursor.execute(sql, [*fields, source_id, list(chunk)])
            for uscc, rank, *values in cursor.fetchall():
                out[uscc] = {f: _scalar(v) for f, v in zip(fields, values, strict=True)}
                out[uscc][by] = rank
    return out


def _abnormal(source_id: int | None, usccs: Sequence[str], today: dt.date) -> set[str]:
    """Enterprises on the list of abnormal operations now (listed, not yet removed)."""
    if source_id is None:
        return set()
    listed: set[str] = set()
    q = connection.ops.quote_name
    for chunk in _chunks(usccs):
        rows = among(DataRecord.objects.filter(source_id=source_id), "uscc", chunk)
        if connection.vendor == "postgresql":  # the one field, not the whole document
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT uscc, data -> 'removed_on' FROM {q(DataRecord._meta.db_table)} "  # noqa: S608
                               "WHERE source_id = %s AND uscc = ANY(%s)", [source_id, list(chunk)])
                found = [(u, _scalar(v)) for u, v in cursor.fetchall()]
        else:
            found = [(u, data.get("removed_on")) for u, data in rows.values_list("uscc", "data")]
        listed |= _listed(found, today)
    return listed


def _listed(found: Iterable[tuple[str, Any]], today: dt.date) -> set[str]:
    """Of (uscc, removed_on) pairs, the enterprises still listed: not removed, or removed only after today."""
    out: set[str] = set()
    for uscc, removed_on in found:
        removed = str(removed_on or "")
        if not removed or removed > today.isoformat():
            out.add(uscc)
    return out


def observe(usccs: Iterable[str], *, regions: Regions | None = None, today: dt.date | None = None,
            ) -> dict[str, Observed]:
    """Classify every given enterprise the registry or the platform's accounts know; unknown codes are left out."""
    from django.utils import timezone

    codes = sorted(set(usccs))
    if not codes:
        return {}
    regions = regions or Regions()
    today = today or timezone.localdate()
    sources = dict(Source.objects.filter(code__in=[SOCIAL, ANNUAL, ABNORMAL]).values_list("code", "pk"))
    registry: dict[str, tuple[Any, ...]] = {}
    accounts: dict[str, tuple[str, int | None]] = {}
    for chunk in _chunks(codes):
        for record in among(RegistryRecord.objects.all(), "uscc", chunk).values_list(
                "uscc", "name", "region_code", "status", "industry_code", "registered_capital", "established_on"):
            registry[record[0]] = record
        for uscc, name, region_id in among(Enterprise.objects.all(), "uscc", chunk).values_list("uscc", "name", "region_id"):
            accounts[uscc] = (name, region_id)
    social = _latest(sources.get(SOCIAL), codes, by="as_of", fields=SOCIAL_FIELDS)
    annual = _latest(sources.get(ANNUAL), codes, by="category", fields=ANNUAL_FIELDS)
    abnormal = _abnormal(sources.get(ABNORMAL), codes, today)
    out: dict[str, Observed] = {}
    for uscc in codes:
        seen = _classified(uscc, registry.get(uscc), accounts.get(uscc), social.get(uscc, {}), annual.get(uscc, {}),
                           uscc in abnormal, regions)
        if seen is not None:
            out[uscc] = seen
    return out


def _classified(uscc: str, row: tuple[Any, ...] | None, account: tuple[str, int | None] | None,
                social: dict[str, Any], report: dict[str, Any], abnormal: bool, regions: Regions) -> Observed | None:
    """One enterprise from what each source says of it (the registry row, its account, the latest social-insurance
    record's fields, the latest annual report's fields, whether it is listed as abnormal); None when neither the
    registry nor an account knows it. The one classification of `observe` and `observe_all`."""
    headcount = _int(social.get("insured_count"))
    revenue = _decimal(report.get("revenue"))
    tax_paid = _money(report.get("tax_paid"))
    tax_year = str(report.get("category") or "")[:8] if tax_paid is not None else ""
    tags = tuple(sorted(classify.tags_of(report)))
    if row is not None:
        _, name, region_code, registry_status, industry_code, raw_capital, established = row
        placed_id, path = regions.place(region_code, account[1] if account else None)
        capital = _decimal(raw_capital)
        return Observed(
            uscc=uscc, name=name, region_id=placed_id, path=path,
            status=classify.status_of(registry_status, abnormal=abnormal),
            industry=classify.section_of(industry_code),
            size=classify.size_of(industry_code, headcount, revenue), capital=capital,
            capital_band=classify.capital_band(capital), tags=tags, headcount=headcount,
            established_on=established if isinstance(established, dt.date) else None,
            tax_paid=tax_paid, tax_year=tax_year)
    if account is not None:
        # An account the registry does not (yet) hold: counted where its account says, little else known.
        account_region = account[1]
        path = regions.by_id[account_region][1] if account_region in regions.by_id else ""
        return Observed(
            uscc=uscc, name=account[0], region_id=account_region if path else None, path=path,
            status=classify.ABNORMAL if abnormal else classify.ACTIVE, industry="",
            size=classify.UNKNOWN, capital=None, capital_band="", tags=tags, headcount=headcount,
            established_on=None, tax_paid=tax_paid, tax_year=tax_year)
    return None


def observe_all(*, regions: Regions, today: dt.date | None = None, chunk: int = 5_000) -> Iterator[list[Observed]]:
    """Every enterprise the registry or the accounts know, classified as `observe` does, in chunks in USCC order.

    For the rebuild on PostgreSQL: one statement reads the registry, the accounts and the latest record of each
    source for everyone (sequential scans, sorts and merges in the database, streamed through a server-side
    cursor), where `observe` would probe the indexes a few thousand codes at a time. At 1.5 M enterprises the
    probes read the 3.4 GB of data records in random order, page by page; a scan reads them once, in order.
    The same rows and fields are picked (`DISTINCT ON` with `_latest_pg`'s order) and classified by the same code.
    """
    from django.utils import timezone

    today = today or timezone.localdate()
    sources = dict(Source.objects.filter(code__in=[SOCIAL, ANNUAL, ABNORMAL]).values_list("code", "pk"))
    q = connection.ops.quote_name
    records = q(DataRecord._meta.db_table)
    listed: set[str] = set()
    if sources.get(ABNORMAL) is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT uscc, data -> 'removed_on' FROM {records} WHERE source_id = %s",  # noqa: S608
                           [sources[ABNORMAL]])
            listed = _listed(((u, _scalar(v)) for u, v in cursor.fetchall()), today)
    params: list[Any] = []
    joins, picked = [], []
    for code, by, fields in ((SOCIAL, "as_of", SOCIAL_FIELDS), (ANNUAL, "category", ANNUAL_FIELDS)):
        alias = f"src_{code}"
        if sources.get(code) is None:
            picked.append(", ".join(["NULL"] * (len(fields) + 1)))
            continue
        values = ", ".join(f"data -> %s AS f{i}" for i in range(len(fields)))
        joins.append(f"LEFT JOIN (SELECT DISTINCT ON (uscc) uscc, {q(by)} AS rank, {values} FROM {records} "  # noqa: S608
                     f"WHERE source_id = %s ORDER BY uscc, {q(by)} DESC, key DESC) AS {alias} ON {alias}.uscc = p.uscc")
        params += [*fields, sources[code]]
        picked.append(", ".join([f"{alias}.rank", *(f"{alias}.f{i}" for i in range(len(fields)))]))
    registry, accounts = q(RegistryRecord._meta.db_table), q(Enterprise._meta.db_table)
    sql = (f"SELECT p.*, {', '.join(picked)} FROM (SELECT COALESCE(r.uscc, e.uscc) AS uscc, r.uscc IS NOT NULL, "  # noqa: S608
           f"r.name, r.region_code, r.status, r.industry_code, r.registered_capital, r.established_on, "
           f"e.uscc IS NOT NULL, e.name, e.region_id FROM {registry} AS r FULL JOIN {accounts} AS e ON e.uscc = r.uscc"
           f") AS p {' '.join(joins)} ORDER BY p.uscc")
    n_social = len(SOCIAL_FIELDS)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            out = []
            for row in rows:
                uscc, in_registry, *registry_row = row[:8]
                has_account, account_name, account_region = row[8:11]
                social_rank, *social_values = row[11:12 + n_social]
                annual_rank, *annual_values = row[12 + n_social:]
                social = ({f: _scalar(v) for f, v in zip(SOCIAL_FIELDS, social_values, strict=True)} | {"as_of": social_rank}
                          if social_rank is not None else {})
                report = ({f: _scalar(v) for f, v in zip(ANNUAL_FIELDS, annual_values, strict=True)}
                          | {"category": annual_rank} if annual_rank is not None else {})
                seen = _classified(uscc, (uscc, *registry_row) if in_registry else None,
                                   (account_name, account_region) if has_account else None, social, report,
                                   uscc in listed, regions)
                if seen is not None:
                    out.append(seen)
            yield out
