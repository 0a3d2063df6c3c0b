"""Build the synthetic city's rows batch by batch: enterprises, registry records and their data over time.

`generate_city` writes each batch in its own transaction (COPY on PostgreSQL, `executemany` on
SQLite) with one EnterpriseFactsChanged per enterprise, so memory stays bounded by the batch and a
stopped run keeps what it wrote. Every row carries `synthetic=True`; `clear_city` removes exactly
those rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged
from qinqing.core.ids import USCC_ALPHABET, org_check_char, uscc_check_char
from qinqing.datahub.bulk import cyclic_gc_paused
from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.datahub.synthetic import people
from qinqing.datahub.synthetic.people import Draws, Place
from qinqing.regions.models import Region

REGISTRY, SOCIAL, TAX = "market_registry", "social_insurance", "tax_registration"
ANNUAL, TAX_MONTHLY, SOCIAL_MONTHLY = "enterprise_annual", "tax_monthly", "social_monthly"
SOURCES = (REGISTRY, SOCIAL, TAX, ANNUAL, TAX_MONTHLY, SOCIAL_MONTHLY)
# Organisation-code bodies are a permutation of 0 … 30⁸−1, so codes never repeat within a city.
_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWY"
_BODY_SPACE = 30 ** 8
CREDIT = ("A", "B", "M", "C", "D")
SPECIALISED = ("市级",) * 6 + ("省级",) * 3 + ("国家级",)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


# A multiplier coprime with 30⁸ (no factor 2, 3 or 5), so i → (a·i + b) mod 30⁸ is a bijection.
_STRIDE = 7 ** 13


def synthetic_uscc(index: int, division: str, offset: int) -> str:
    """The index-th synthetic code: department 9 (market supervision), category 1 (enterprise)."""
    value = (_STRIDE * index + offset) % _BODY_SPACE
    digits = []
    for _ in range(8):
        value, rest = divmod(value, 30)
        digits.append(_BODY_ALPHABET[rest])
    body = "".join(reversed(digits))
    first17 = "91" + division + body + org_check_char(body)
    assert first17[-1] in USCC_ALPHABET
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class CityPlan:
    enterprises: int
    seed: int = 2026
    batch: int = 20_000
    months: int = 6
    years: int = 3
    emit_events: bool = True
    within: str = ""  # a region code: place every enterprise in its subtree, down to units (the demo's 滨江)


@dataclass
class Batch:
    enterprises: list[tuple[Any, ...]]
    registry: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]
    events: list[EnterpriseFactsChanged]


# Within one region (`CityPlan.within`): the share of enterprises on street nodes, in communities, in units.
WITHIN_SHARES = {Region.Level.STREET: 0.05, Region.Level.COMMUNITY: 0.55, Region.Level.UNIT: 0.40}


def _statistical_code(path: str) -> str:
    """The registry's division of a node: the deepest code of its path with 12 digits or fewer (a unit's community)."""
    return [code for code in path.strip("/").split("/") if len(code) <= 12][-1]


def places_within(code: str) -> tuple[list[Place], np.ndarray]:
    """Every street, community (and park) and unit below one region, each level with its share of the city."""
    root = Region.objects.filter(code=code).first()
    if root is None:
        raise ValueError(f"no region {code}: load the regions first")
    district = root if root.level == Region.Level.DISTRICT else Region.objects.get(
        code=root.path.strip("/").split("/")[1])
    streets = dict(Region.objects.filter(level=Region.Level.STREET, path__startswith=root.path)
                   .values_list("path", "name"))
    groups: dict[str, list[Place]] = {}
    rows = Region.objects.filter(path__startswith=root.path, level__in=list(WITHIN_SHARES)).order_by("path")
    for pk, path, level in rows.values_list("pk", "path", "level"):
        street = next((name for prefix, name in streets.items() if path.startswith(prefix)), "")
        groups.setdefault(level, []).append(Place(pk, _statistical_code(path), district.code, district.name, street))
    out: list[Place] = []
    weights: list[float] = []
    for level, found in groups.items():
        out += found
        weights += [WITHIN_SHARES[Region.Level(level)] / len(found)] * len(found)
    if not out:
        raise ValueError(f"region {code} holds no streets, communities or units")
    w = np.array(weights)
    return out, w / w.sum()


def places() -> tuple[list[Place], np.ndarray]:
    """Every street of Hangzhou's current districts; in 滨江 every community instead, weighted by district."""
    districts = {r.code: r for r in Region.objects.filter(level=Region.Level.DISTRICT, active=True)}
    streets = list(Region.objects.filter(level=Region.Level.STREET, parent__code__in=list(districts)))
    communities: dict[int, list[Region]] = {}
    for region in Region.objects.filter(level=Region.Level.COMMUNITY).select_related("parent"):
        if region.parent_id is not None:
            communities.setdefault(region.parent_id, []).append(region)
    per_district: dict[str, list[Place]] = {}
    for street in streets:
        district = districts[str(street.path.split("/")[1])]
        nodes = communities.get(street.pk) or [street]
        per_district.setdefault(district.code, []).extend(
            Place(node.pk, node.code, district.code, district.name, street.name) for node in nodes)
    out: list[Place] = []
    weights: list[float] = []
    for code, found in per_district.items():
        share = people.DISTRICT_WEIGHTS.get(code, 1.0)
        out += found
        weights += [share / len(found)] * len(found)
    if not out:
        raise ValueError("the region tree holds no streets: load the regions first")
    w = np.array(weights)
    return out, w / w.sum()


class CityBuilder:
    """Turn numpy draws into the rows of one batch (registry, enterprise, records, events)."""

    def __init__(self, plan: CityPlan, sources: dict[str, Source], now: dt.datetime, offset: int, start: int) -> None:
        self.plan, self.sources, self.now, self.offset, self.start = plan, sources, now, offset, start
        self.pg = connection.vendor == "postgresql"
        self.stamp: Any = now if self.pg else connection.ops.adapt_datetimefield_value(now)
        self.today = timezone.localdate(now)
        self.places, self.place_weights = places_within(plan.within) if plan.within else places()
        self.industries, self.industry_weights = people.industries()
        self.sections = np.array([i.section for i in self.industries])
        self.periods = people.months_back(self.today, plan.months)
        self.years = list(range(self.today.year - plan.years, self.today.year))

    def batch(self, number: int, size: int) -> Batch:
        rng = np.random.default_rng([self.plan.seed, self.start, number])
        drawn = people.draw(rng, size, self.place_weights, self.industry_weights, self.sections)
        # Plain Python lists: indexing a numpy array per value costs more than the whole row.
        d = Draws(**{name: value.tolist() for name, value in vars(drawn).items()})
        out = Batch([], [], [], [])
        first = self.start + number * self.plan.batch
        for i in range(size):
            self._one(out, d, i, first + i)
        return out

    def _one(self, out: Batch, d: Draws, i: int, index: int) -> None:
        place = self.places[d.place[i]]
        industry = self.industries[d.industry[i]]
        uscc = synthetic_uscc(index, place.district_code, self.offset)
        brand = people.BRAND[d.brand[i][0]] + people.BRAND[d.brand[i][1]]
        name = f"杭州{brand}{people.TRADE_WORDS.get(industry.section, '实业')}有限公司"
        established = self.today - dt.timedelta(days=d.age_days[i])
        status = people.STATUSES[d.status[i]]
        active = status in people.ACTIVE
        capital = Decimal(int(d.capital[i]))
        address = f"浙江省杭州市{place.district}{place.street}{people.ROADS[d.road[i]]}{d.number[i]}号"
        stamp = self.stamp
        out.enterprises.append((uscc, name, place.region_id, stamp, True))
        out.registry.append((
            self.sources[REGISTRY].pk, uscc, name, people.person_name(d.person[i]),
            capital if self.pg else str(capital), industry.code, industry.name, people.ENTITY_TYPES[d.entity[i]],
            address, place.region_code, established if self.pg else established.isoformat(), status,
            stamp, True,
        ))
        written = [REGISTRY]
        employees = d.employees[i]
        revenue = d.revenue[i]
        if active or established.year < self.today.year - 1:
            written += self._yearly(out, d, i, uscc, industry, established, revenue, employees)
        if active:
            written += self._registrations(out, d, i, uscc, place, established, revenue, employees)
            written += self._monthly(out, d, i, uscc, revenue, employees)
        out.events.append(EnterpriseFactsChanged(
            sources=tuple(sorted(set(written))), fields=(), created=True, enterprise=uscc, region=place.region_code))

    def _record(self, out: Batch, code: str, uscc: str, key: str, category: str, title: str,
                data: dict[str, Any], as_of: dt.datetime) -> None:
        out.records.append((self.sources[code].pk, uscc, key, category, title,
                            _encode(data), as_of, self.stamp, True))

    def _yearly(self, out: Batch, d: Draws, i: int, uscc: str, industry: people.Industry, established: dt.date,
                revenue: float, employees: int) -> list[str]:
        growth = d.growth[i]
        wrote = []
        for back, year in enumerate(reversed(self.years)):
            if year < established.year:
                break
            figure = revenue / growth ** back
            tax = round(figure * d.tax_rate[i], 2)
            rd = round(figure * d.rd_share[i], 2)
            scale = people.above_scale(industry.section, industry.division, figure)
            staff = max(round(employees / growth ** back), 0)
            high_tech = bool(d.high_tech[i]) and back < 2
            data: dict[str, Any] = {
                "report_no": f"SYN{uscc}{year}", "year": year, "revenue": f"{figure:.2f}",
                "tax_paid": f"{tax:.2f}", "rd_spend": f"{rd:.2f}", "employees": staff,
                "high_tech": "是" if high_tech else "否",
                # About 60 % of 专精特新 SMEs are city level, 30 % provincial, 10 % national (小巨人).
                "specialised": SPECIALISED[i % 10] if d.specialised[i] and back == 0 else "否",
                "above_scale": "是" if scale else "否",
                # Graduates hired in one year out of seven, about one for every 30 employees; unemployment
                # insurance at 0.5 % of an average wage base of 9,000 yuan a month.
                "graduates_hired": max(staff // 30, 1) if staff > 0 and (i + year) % 7 == 0 else 0,
                "unemployment_insurance_paid": f"{staff * 540:.2f}"}
            if high_tech:
                # Recognised for three years at a time: the last recognition in one of the three years before.
                certified = max(dt.date(year - i % 3, 1 + i % 12, 1 + i % 28), established)
                data["high_tech_certified_on"] = certified.isoformat()
            if scale:
                data["above_scale_since"] = max(established.year + 1, year - i % 6)
            as_of = _moment(dt.date(year + 1, 5, 31))
            self._record(out, ANNUAL, uscc, f"SYN{uscc}{year}", str(year), str(year), data, as_of)
            wrote = [ANNUAL]
        return wrote

    def _registrations(self, out: Batch, d: Draws, i: int, uscc: str, place: Place, established: dt.date,
                       revenue: float, employees: int) -> list[str]:
        as_of = _moment(established)
        self._record(out, TAX, uscc, uscc, "", f"国家税务总局杭州市{place.district}税务局", {
            "taxpayer_id": uscc, "taxpayer_type": "一般纳税人" if revenue >= 5_000_000 else "小规模纳税人",
            "tax_authority": f"国家税务总局杭州市{place.district}税务局", "registered_on": established.isoformat(),
            "credit_rating": CREDIT[d.credit[i]],
        }, as_of)
        if employees <= 0:
            return [TAX]
        start = max(round(employees / d.layoff[i]), 1)
        self._record(out, SOCIAL, uscc, f"S{uscc}", "", f"{place.district}社会保险管理服务中心", {
            "account_no": f"S{uscc}", "registered_on": (established + dt.timedelta(days=30)).isoformat(),
            "insured_count": employees, "insured_start_last_year": start, "insured_end_last_year": employees,
            "agency": f"{place.district}社会保险管理服务中心",
        }, as_of)
        return [TAX, SOCIAL]

    def _monthly(self, out: Batch, d: Draws, i: int, uscc: str, revenue: float, employees: int) -> list[str]:
        monthly = revenue * d.growth[i] / 12
        wrote = []
        for step, period in enumerate(self.periods):
            year, month = int(period[:4]), int(period[5:])
            as_of = _moment(dt.date(year + month // 12, month % 12 + 1, 15))
            wave = 1 + 0.1 * math.sin(step + i)
            figure = monthly * wave
            self._record(out, TAX_MONTHLY, uscc, f"T{uscc}{period}", period, period, {
                "return_no": f"T{uscc}{period}", "period": period, "revenue": f"{figure:.2f}",
                "tax_paid": f"{figure * d.tax_rate[i]:.2f}"}, as_of)
            wrote = [TAX_MONTHLY]
            if employees > 0:
                insured = max(round(employees * (1 + 0.03 * math.cos(step * 2 + i))), 0)
                graduates = int((i + step) % 17 == 0) * max(employees // 20, 1)
                self._record(out, SOCIAL_MONTHLY, uscc, f"M{uscc}{period}", period, period, {
                    "record_no": f"M{uscc}{period}", "period": period, "insured_count": insured,
                    "new_graduates": graduates, "contribution": f"{insured * 1_480 * wave:.2f}"}, as_of)
                wrote.append(SOCIAL_MONTHLY)
        return wrote


@functools.lru_cache(maxsize=65_536)
def _moment(day: dt.date) -> Any:
    """08:00 local time on a day, as the database driver takes it (few distinct days: cached)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
    return moment if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(moment)


ENTERPRISE_COLUMNS = ("uscc", "name", "region_id", "created_at", "synthetic")
REGISTRY_COLUMNS = ("source_id", "uscc", "name", "legal_representative", "registered_capital", "industry_code",
                    "industry_name", "entity_type", "address", "region_code", "established_on", "status", "as_of",
                    "synthetic")
RECORD_COLUMNS = ("source_id", "uscc", "key", "category", "title", "data", "as_of", "imported_at", "synthetic")


def write_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Append rows: COPY on PostgreSQL, one executemany INSERT elsewhere (inside the caller's transaction)."""
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # The builder gives SQLite its dates, datetimes and decimals as text already.
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})", rows)  # noqa: S608


def write_batch(batch: Batch, emit_events: bool) -> None:
    """One transaction: enterprises, registry rows, data records and (optionally) their events."""
    with events.atomic():
        write_rows(Enterprise._meta.db_table, ENTERPRISE_COLUMNS, batch.enterprises)
        write_rows(RegistryRecord._meta.db_table, REGISTRY_COLUMNS, batch.registry)
        write_rows(DataRecord._meta.db_table, RECORD_COLUMNS, batch.records)
        if emit_events:
            events.emit_many(batch.events)


def generate_city(plan: CityPlan, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Add `plan.enterprises` synthetic enterprises to the registry and return how many rows each table got."""
    from qinqing.datahub.services import load_sources
    from qinqing.regions.services import load_regions

    if not Region.objects.filter(level=Region.Level.STREET).exists():
        load_regions()
    load_sources()
    sources = {s.code: s for s in Source.objects.filter(code__in=SOURCES)}
    start = RegistryRecord.objects.filter(synthetic=True).count()
    builder = CityBuilder(plan, sources, timezone.now(), offset=(plan.seed * 1_000_003) % _BODY_SPACE, start=start)
    counts = {"enterprises": 0, "registry": 0, "records": 0, "events": 0}
    done = 0
    for number, size in _sizes(plan.enterprises, plan.batch):
        with cyclic_gc_paused():
            batch = builder.batch(number, size)
            write_batch(batch, plan.emit_events)
        counts["enterprises"] += len(batch.enterprises)
        counts["registry"] += len(batch.registry)
        counts["records"] += len(batch.records)
        counts["events"] += len(batch.events) if plan.emit_events else 0
        done += size
        if progress is not None:
            progress(done, plan.enterprises)
    with events.atomic():
        record_event(actor="gencity", action="datahub.synthetic_city_generated", obj=sources[REGISTRY],
                     after={"plan": plan.__dict__, "counts": counts})
    return counts


def _sizes(total: int, batch: int) -> Iterator[tuple[int, int]]:
    number = 0
    while total > 0:
        size = min(batch, total)
        yield number, size
        number, total = number + 1, total - size


def clear_city() -> dict[str, int]:
    """Delete every synthetic row (records, registry, enterprises); real and demo rows are never touched."""
    counts = {}
    with events.atomic():
        for label, model in (("records", DataRecord), ("registry", RegistryRecord), ("enterprises", Enterprise)):
            counts[label] = model.objects.filter(synthetic=True)._raw_delete(using="default")
        registry = Source.objects.filter(code=REGISTRY).first()
        if registry is not None:
            record_event(actor="gencity", action="datahub.synthetic_city_cleared", obj=registry, after=counts)
    return counts
