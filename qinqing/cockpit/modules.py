"""Street modules without code: a module's `spec` (JSON), checked on save, evaluated over the cockpit queries.

A spec names one source and how to show it:

``{"source": "breakdown", "dimension": "tag"|"industry"|"status"|"size"|"capital_band", "keys": [...],
   "chart": "bar"|"pie"|"treemap"|"table"}``
    the node's enterprises counted by one dimension of `queries.summary`; `keys` keeps those keys only
    (e.g. the tags 高新技术企业 and 重点企业), in that order.

``{"source": "nodes", "levels": ["building", "floor", "unit"], "measures": [...], "sort": "-enterprises",
   "limit": 50, "chart": "bar"|"treemap"|"table"}``
    one row per node below the viewed one, at the first of `levels` that lies below it (a street shows
    its buildings, a building its floors, a floor its units; "children" means the direct children);
    measures from `NODE_MEASURES` (summary figures of each row's subtree, and `occupancy`/`units`).

``{"source": "enterprises", "filters": {"tag": "high_tech", "status": "", "industry": "", "capital_band": ""},
   "group_by": "industry"|"size"|"capital_band"|"status"|"tag"|"children", "measures": ["enterprises", "headcount",
   "capital"], "chart": "bar"|"pie"|"treemap"|"table"}``
    the enterprises of the subtree as the cockpit last saw them (its read model), filtered, grouped and counted:
    e.g. 西兴's high-tech enterprises by industry.

``{"source": "trend", "measures": ["registered", "moved_in", ...], "months": 12, "interval": "month",
   "chart": "line"|"bar"|"table"}``
    time series of `queries.timeseries` measures over the last `months`, ending today (Asia/Shanghai).

Every number carries its unit (`Column.unit`); amounts are Decimal yuan, written as strings in JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qinqing.cockpit import labels
from qinqing.regions.models import Region

SOURCES = ("breakdown", "nodes", "enterprises", "trend")
DIMENSIONS = ("status", "industry", "size", "capital_band", "tag")
CHARTS = {"breakdown": ("bar", "pie", "treemap", "table"), "nodes": ("bar", "treemap", "table"),
          "enterprises": ("bar", "pie", "treemap", "table"),
          "trend": ("line", "bar", "table")}
LEVEL_ORDER = ("city", "district", "street", "community", "grid", "building", "floor", "unit")
NODE_LEVELS = ("children", "community", "grid", "building", "floor", "unit")
NODE_MEASURES = ("enterprises", "registered_30d", "deregistered_30d", "moved_in_30d", "moved_out_30d",
                 "payouts_count", "payouts_amount", "cases_handled", "alerts_open", "units", "occupancy",
                 "headcount", "capital", "tax_paid", "tax_enterprises")
STATE_MEASURES = ("enterprises", "headcount", "capital", "tax_paid")
YUAN_MEASURES = frozenset({"capital", "tax_paid"})
GROUPS = ("industry", "size", "capital_band", "status", "tag", "children")
FILTERS = ("status", "industry", "tag", "capital_band")
TREND_MEASURES = ("registered", "deregistered", "moved_in", "moved_out", "abnormal", "payouts_count",
                  "payouts_amount", "cases_submitted", "cases_decided", "cases_auto", "visits_raised", "visits_closed",
                  "alerts")
INTERVALS = ("day", "week", "month")
MAX_ROWS = 200
MAX_MONTHS = 36
KNOWN_KEYS = {
    "breakdown": {"source", "dimension", "keys", "chart", "description"},
    "nodes": {"source", "levels", "measures", "sort", "limit", "chart", "description"},
    "enterprises": {"source", "filters", "group_by", "measures", "chart", "description"},
    "trend": {"source", "measures", "months", "interval", "chart", "description"},
}


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def validate_spec(spec: Any) -> list[str]:
    """Every problem of a spec, each as one sentence naming the key; an empty list when it is sound."""
    if not isinstance(spec, dict):
        return [str(_("The specification must be a JSON object."))]
    source = spec.get("source")
    if source not in SOURCES:
        return [str(_("source: must be one of %(choices)s.") % {"choices": _choices(SOURCES)})]
    errors: list[str] = []
    unknown = sorted(set(spec) - KNOWN_KEYS[source])
    if unknown:
        errors.append(str(_("Unknown keys for source %(source)s: %(keys)s.") % {"source": source,
                                                                                "keys": ", ".join(unknown)}))
    chart = spec.get("chart", CHARTS[source][0])
    if chart not in CHARTS[source]:
        errors.append(str(_("chart: must be one of %(choices)s.") % {"choices": _choices(CHARTS[source])}))
    if "description" in spec and not isinstance(spec["description"], str):
        errors.append(str(_("description: must be text.")))
    if source == "breakdown":
        if spec.get("dimension") not in DIMENSIONS:
            errors.append(str(_("dimension: must be one of %(choices)s.") % {"choices": _choices(DIMENSIONS)}))
        keys = spec.get("keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            errors.append(str(_("keys: must be a list of non-empty texts.")))
        elif len(set(keys)) != len(keys):
            errors.append(str(_("keys: each key may appear once.")))
    else:
        allowed = {"nodes": NODE_MEASURES, "enterprises": STATE_MEASURES}.get(source, TREND_MEASURES)
        measures = spec.get("measures")
        if not isinstance(measures, list) or not measures:
            errors.append(str(_("measures: must be a non-empty list of %(choices)s.") % {"choices": _choices(allowed)}))
        else:
            bad = [str(m) for m in measures if m not in allowed]
            if bad:
                errors.append(str(_("measures: unknown %(bad)s; allowed are %(choices)s.")
                                  % {"bad": ", ".join(bad), "choices": _choices(allowed)}))
            elif len(set(measures)) != len(measures):
                errors.append(str(_("measures: each measure may appear once.")))
    if source == "enterprises":
        if spec.get("group_by") not in GROUPS:
            errors.append(str(_("group_by: must be one of %(choices)s.") % {"choices": _choices(GROUPS)}))
        filters = spec.get("filters", {})
        if not isinstance(filters, dict):
            errors.append(str(_("filters: must be a JSON object.")))
        else:
            errors.extend(_filter_errors(filters))
    if source == "nodes":
        levels = spec.get("levels")
        if not isinstance(levels, list) or not levels or any(level not in NODE_LEVELS for level in levels):
            errors.append(str(_("levels: must be a non-empty list of %(choices)s.") % {"choices": _choices(NODE_LEVELS)}))
        sort = spec.get("sort", "")
        listed = spec.get("measures")
        measures_named: list[Any] = listed if isinstance(listed, list) else []
        if sort and (not isinstance(sort, str) or sort.lstrip("-") not in {"name", *measures_named}):
            errors.append(str(_("sort: must be name or one of the measures, with a leading - for descending.")))
        limit = spec.get("limit", 50)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_ROWS:
            errors.append(str(_("limit: must be a whole number from 1 to %(max)s.") % {"max": MAX_ROWS}))
    if source == "trend":
        months = spec.get("months", 12)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
            errors.append(str(_("months: must be a whole number from 1 to %(max)s.") % {"max": MAX_MONTHS}))
        if spec.get("interval", "month") not in INTERVALS:
            errors.append(str(_("interval: must be one of %(choices)s.") % {"choices": _choices(INTERVALS)}))
    return errors


def _filter_errors(filters: dict[str, Any]) -> list[str]:
    from qinqing.cockpit import classify

    errors = []
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        errors.append(str(_("filters: unknown %(keys)s; allowed are %(choices)s.")
                          % {"keys": ", ".join(unknown), "choices": _choices(FILTERS)}))
    allowed = {"status": (*classify.STATUSES, "in_business"), "tag": classify.TAGS, "capital_band": classify.BAND_KEYS,
               "industry": tuple("ABCDEFGHIJKLMNOPQRST")}
    for key, choices in allowed.items():
        value = filters.get(key, "")
        if value and value not in choices:
            errors.append(str(_("filters.%(key)s: must be one of %(choices)s.") % {"key": key,
                                                                                   "choices": _choices(choices)}))
    return errors


# ----------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    unit: str | Promise
    source: str | Promise = ""

    def as_dict(self) -> dict[str, str]:
        out = {"key": self.key, "label": str(self.label), "unit": str(self.unit)}
        if self.source:
            out["source"] = str(self.source)
        return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _group_level(node: Region, levels: list[str]) -> str | None:
    depth = LEVEL_ORDER.index(node.level) if node.level in LEVEL_ORDER else 0
    for level in levels:
        if level == "children" or LEVEL_ORDER.index(level) > depth:
            return level
    return None


def _groups(node: Region, level: str, limit: int) -> list[Region]:
    if level == "children":
        return list(node.children.filter(active=True).order_by("code")[:limit])
    return list(Region.objects.subtree(node).filter(level=level, active=True).order_by("path")[:limit])


def _in_business(node: Region) -> Any:
    from qinqing.cockpit import classify
    from qinqing.cockpit.models import EnterpriseState

    return EnterpriseState.objects.filter(path__startswith=node.path, status__in=sorted(classify.IN_BUSINESS))


def occupancy(node: Region) -> tuple[int, int]:
    """(units with at least one enterprise in business, units) in the node's subtree (the cockpit's read model)."""
    units = Region.objects.subtree(node).filter(level=Region.Level.UNIT, active=True)
    total = units.count()
    if not total:
        return 0, 0
    occupied = (_in_business(node).filter(region__level=Region.Level.UNIT, region__active=True)
                .values("region_id").distinct().count())
    return occupied, total


def state_figures(node: Region) -> dict[str, Any]:
    """Headcount (insured employees) and registered capital (yuan) summed over the subtree's enterprises in business."""
    sums = _in_business(node).aggregate(headcount=Sum("headcount"), capital=Sum("capital"))
    return {"headcount": int(sums["headcount"] or 0), "capital": Decimal(sums["capital"] or 0).quantize(Decimal("0.01"))}


def _nodes(node: Region, spec: dict[str, Any]) -> dict[str, Any]:
    from qinqing.cockpit import queries

    measures: list[str] = spec["measures"]
    columns = [Column(m, labels.MEASURE_LABELS[m], labels.MEASURE_UNITS[m], labels.measure_source(m))
               for m in measures]
    level = _group_level(node, spec["levels"])
    if level is None:
        return {"columns": [c.as_dict() for c in columns], "rows": [], "level": None,
                "empty": str(_("Nothing lies below this node at the module's levels."))}
    groups = _groups(node, level, int(spec.get("limit", 50)))
    rows = []
    for group in groups:
        summary = queries.summary(group)
        row: dict[str, Any] = {"label": group.name, "code": group.code}
        if {"occupancy", "units"} & set(measures):
            occupied, total = occupancy(group)
            row["units"] = total
            row["occupancy"] = (Decimal(occupied * 100) / total).quantize(Decimal("0.1")) if total else None
        if {"headcount", "capital"} & set(measures):
            row.update(state_figures(group))
        for measure in measures:
            if measure not in row:
                row[measure] = getattr(summary, measure)
        rows.append({k: _json(v) for k, v in row.items() if k in {"label", "code", *measures}})
    sort = spec.get("sort", "")
    if sort:
        key = sort.lstrip("-")
        descending = sort.startswith("-")
        if key == "name":
            rows.sort(key=lambda r: r["label"], reverse=descending)
        else:  # rows without a figure (an occupancy of no units) stay last either way
            known = sorted((r for r in rows if r.get(key) is not None), key=lambda r: Decimal(str(r[key])),
                           reverse=descending)
            rows = known + [r for r in rows if r.get(key) is None]
    empty = "" if rows else str(_("No %(level)s below this node yet.") % {"level": labels.level_label(level)})
    return {"columns": [c.as_dict() for c in columns], "rows": rows, "level": level, "empty": empty}


def _breakdown(node: Region, spec: dict[str, Any]) -> dict[str, Any]:
    from qinqing.cockpit import queries

    dimension = spec["dimension"]
    counts: dict[str, int] = dict(getattr(queries.summary(node), f"by_{dimension}"))
    keys = spec.get("keys") or sorted(counts, key=lambda k: (-counts[k], k))
    rows = [{"label": labels.dimension_label(dimension, k), "key": k, "enterprises": counts.get(k, 0)} for k in keys]
    column = Column("enterprises", labels.MEASURE_LABELS["enterprises"], labels.MEASURE_UNITS["enterprises"])
    empty = "" if any(r["enterprises"] for r in rows) else str(_("No enterprise of this node falls in these groups."))
    return {"columns": [column.as_dict()], "rows": rows, "dimension": dimension, "empty": empty}


def _enterprises(node: Region, spec: dict[str, Any]) -> dict[str, Any]:
    from qinqing.cockpit import classify
    from qinqing.cockpit.models import EnterpriseState

    filters: dict[str, str] = spec.get("filters", {})
    rows_q = EnterpriseState.objects.filter(path__startswith=node.path)
    status = filters.get("status") or "in_business"
    rows_q = rows_q.filter(status__in=sorted(classify.IN_BUSINESS)) if status == "in_business" else rows_q.filter(
        status=status)
    if filters.get("industry"):
        rows_q = rows_q.filter(industry=filters["industry"])
    if filters.get("tag"):
        rows_q = rows_q.filter(tags__contains=f",{filters['tag']},")
    if filters.get("capital_band"):
        rows_q = rows_q.filter(capital_band=filters["capital_band"])
    measures: list[str] = spec["measures"]
    annotations = {"enterprises": Count("id"), "headcount": Sum("headcount"), "capital": Sum("capital"),
                   "tax_paid": Sum("tax_paid")}
    group = spec["group_by"]
    raw: list[dict[str, Any]] = []
    if group == "children":
        for child in node.children.filter(active=True).order_by("code"):
            sums = rows_q.filter(path__startswith=child.path).aggregate(**annotations)
            raw.append({"label": child.name, "code": child.code, **sums})
    elif group == "tag":
        for tag in classify.TAGS:
            sums = rows_q.filter(tags__contains=f",{tag},").aggregate(**annotations)
            raw.append({"label": labels.dimension_label("tag", tag), "key": tag, **sums})
    else:
        for item in rows_q.values(group).annotate(**annotations).order_by(group):
            raw.append({"label": labels.dimension_label(group, item[group]), "key": item[group], **item})
        if group != "industry":
            order = {"size": classify.SIZES, "capital_band": classify.BAND_KEYS, "status": classify.STATUSES}[group]
            raw.sort(key=lambda r: order.index(r["key"]) if r["key"] in order else len(order))
    rows = []
    for item in raw:
        row: dict[str, Any] = {"label": item["label"]}
        if item.get("code"):
            row["code"] = item["code"]
        for measure in measures:
            value = item.get(measure) or 0
            row[measure] = _json(Decimal(value).quantize(Decimal("0.01")) if measure in YUAN_MEASURES else int(value))
        rows.append(row)
    columns = [Column(m, labels.MEASURE_LABELS[m], labels.MEASURE_UNITS[m], labels.measure_source(m))
               for m in measures]
    empty = "" if any(r.get("enterprises") for r in rows) or (rows and "enterprises" not in measures) else str(
        _("No enterprise of this node matches the module's filters."))
    return {"columns": [c.as_dict() for c in columns], "rows": rows, "group_by": group,
            "level": "children" if group == "children" else None, "empty": empty}


def months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before today's month."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def _trend(node: Region, spec: dict[str, Any], today: dt.date) -> dict[str, Any]:
    from qinqing.cockpit import queries

    measures: list[str] = spec["measures"]
    start = months_back(today, int(spec.get("months", 12)))
    interval = spec.get("interval", "month")
    series = {m: queries.timeseries(node, m, start, today, interval) for m in measures}
    starts = sorted({p.start for points in series.values() for p in points})
    values = {m: {p.start: p.value for p in points} for m, points in series.items()}
    rows = [{"label": s.isoformat(), **{m: _json(values[m].get(s, 0)) for m in measures}} for s in starts]
    columns = [Column(m, labels.TREND_LABELS[m], labels.TREND_UNITS[m]) for m in measures]
    empty = "" if any(any(Decimal(str(r[m])) for m in measures) for r in rows) else str(
        _("No events of these kinds in the period."))
    return {"columns": [c.as_dict() for c in columns], "rows": rows, "from": start.isoformat(),
            "to": today.isoformat(), "interval": interval, "empty": empty}


def evaluate(module: Any, node: Region, *, today: dt.date | None = None) -> dict[str, Any]:
    """The module's figures for the node's subtree, as JSON-ready data (the API answer and the page's chart)."""
    spec = module.spec
    today = today or timezone.localdate()
    source = spec["source"]
    if source == "breakdown":
        body = _breakdown(node, spec)
    elif source == "nodes":
        body = _nodes(node, spec)
    elif source == "enterprises":
        body = _enterprises(node, spec)
    else:
        body = _trend(node, spec, today)
    return {"key": module.key, "title": module.title, "title_en": module.title_en,
            "description": spec.get("description", ""), "module_region": module.region.code,
            "region": node.code, "region_name": node.name, "source": source,
            "chart": spec.get("chart", CHARTS[source][0]), **body}
