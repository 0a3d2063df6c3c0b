"""Names and units of what the cockpit shows: measures, GB/T 4754 sections, region levels, dimensions."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qinqing.regions.models import Region
from qinqing.servicedesk.models import Rating

GBT4754 = Path(__file__).resolve().parent.parent / "datahub" / "data" / "gbt4754_divisions.csv"

# Units, translated: 家, 元, 笔, 件, 条, 个, %.
ENTERPRISES = _("enterprises (unit)")
YUAN = _("yuan")
PAYMENTS = _("payments (unit)")
CASES = _("cases (unit)")
ALERTS = _("alerts (unit)")
VISITS = _("visits (unit)")
UNITS = _("units (unit)")
PEOPLE = _("people")
PERCENT = "%"
CONVERSATIONS = _("consultations (unit)")
WORK_ORDERS = _("work orders (unit)")
RATINGS = _("ratings (unit)")
# The five official satisfaction levels, best first (the desk's own names).
RATING_LEVELS = [(r.value, r.label) for r in Rating]

MEASURE_LABELS: dict[str, str | Promise] = {
    "enterprises": _("Enterprises in operation"), "registered_30d": _("Registered, last 30 days"),
    "deregistered_30d": _("Deregistered, last 30 days"), "moved_in_30d": _("Moved in, last 30 days"),
    "moved_out_30d": _("Moved out of this area, last 30 days"), "payouts_count": _("Policy payouts"),
    "payouts_amount": _("Payout amount"), "cases_handled": _("Cases handled"), "alerts_open": _("Open alerts"),
    "units": _("Units"), "occupancy": _("Occupancy"), "visits_open": _("Open visits"),
    "headcount": _("Insured employees"), "capital": _("Registered capital"),
    "tax_paid": _("Tax paid (latest annual report)"), "tax_enterprises": _("Enterprises reporting tax"),
}
MEASURE_UNITS: dict[str, str | Promise] = {
    "enterprises": ENTERPRISES, "registered_30d": ENTERPRISES, "deregistered_30d": ENTERPRISES,
    "moved_in_30d": ENTERPRISES, "moved_out_30d": ENTERPRISES, "payouts_count": PAYMENTS, "payouts_amount": YUAN,
    "cases_handled": CASES, "alerts_open": ALERTS, "units": UNITS, "occupancy": PERCENT, "visits_open": VISITS,
    "headcount": PEOPLE, "capital": YUAN, "tax_paid": YUAN, "tax_enterprises": ENTERPRISES,
}
# What a measure counts, where its name alone could be read two ways (a card's tooltip and the chart's note).
MEASURE_HELP: dict[str, str | Promise] = {
    "moved_out_30d": _("Enterprises that left this area in the last 30 days, each counted on the day it left: moved "
                       "to a place outside this area, or its registry record turned to 迁出 (moved out)."),
}
# A status as the status chart names it: the registry's word, told apart from the moves out of this area.
STATUS_CHART_LABELS: dict[str, str | Promise] = {
    "moved_out": _("Registry status: moved out"),
}
STATUS_CHART_HELP = _("\"Registry status: moved out\" counts the enterprises of this area whose registry record "
                      "says 迁出 (moved out) today, whenever that happened. The card \"Moved out of this area, last "
                      "30 days\" counts what left this area in the last 30 days.")
# Where a measure's figures come from, shown beside it (only measures read from one named data source).
# Each names the data source by its code; the page shows the source's own name (`datahub.Source.name`) in its place.
MEASURE_SOURCES: dict[str, tuple[str, str | Promise]] = {
    "tax_paid": ("enterprise_annual", _("%(source)s: tax paid in each enterprise's latest report, enterprises in "
                                        "operation")),
    "tax_enterprises": ("enterprise_annual", _("%(source)s: enterprises in operation whose latest report states "
                                               "tax paid")),
}


def source_name(code: str) -> str:
    """A data source as people know it (企业年度经营与认定信息), in the active language; its code if it is unknown."""
    from qinqing.datahub.models import Source

    found = Source.objects.filter(code=code).values_list("name", "name_en").first()
    if found is None:
        return code
    name, name_en = found
    return name_en if (get_language() or "").startswith("en") and name_en else name


def measure_source(measure: str) -> str:
    """Where a measure's figures come from, named by the source's name ("" for measures of no one source)."""
    if measure not in MEASURE_SOURCES:
        return ""
    code, note = MEASURE_SOURCES[measure]
    return str(note) % {"source": source_name(code)}


TREND_LABELS: dict[str, str | Promise] = {
    "registered": _("Registrations"), "deregistered": _("Deregistrations"), "moved_in": _("Moves into this area"),
    "moved_out": _("Moves out of this area"), "abnormal": _("Listed as abnormal"), "payouts_count": _("Policy payouts"), "payouts_amount": _("Payout amount"),
    "cases_submitted": _("Cases submitted"), "cases_decided": _("Cases decided"),
    "cases_auto": _("Cases decided at once (秒办)"), "visits_raised": _("Visits raised"),
    "visits_closed": _("Visits closed"), "alerts": _("Alerts"),
}
TREND_UNITS: dict[str, str | Promise] = {
    "registered": ENTERPRISES, "deregistered": ENTERPRISES, "moved_in": ENTERPRISES, "moved_out": ENTERPRISES,
    "abnormal": ENTERPRISES, "payouts_count": PAYMENTS, "payouts_amount": YUAN, "cases_submitted": CASES, "cases_decided": CASES,
    "cases_auto": CASES, "visits_raised": VISITS, "visits_closed": VISITS, "alerts": ALERTS,
}
DIMENSION_LABELS: dict[str, str | Promise] = {
    "status": _("By status"), "industry": _("By industry (GB/T 4754 section)"), "size": _("By size"),
    "capital_band": _("By registered capital"), "tag": _("By tag"),
}

# GB/T 4754-2017 section names in English (the Chinese names come from the standard's own table).
SECTIONS_EN = {
    "A": "Agriculture, forestry, animal husbandry and fishery", "B": "Mining", "C": "Manufacturing",
    "D": "Electricity, heat, gas and water", "E": "Construction", "F": "Wholesale and retail",
    "G": "Transport, storage and post", "H": "Accommodation and catering",
    "I": "Information transmission, software and IT services", "J": "Finance", "K": "Real estate",
    "L": "Leasing and business services", "M": "Scientific research and technical services",
    "N": "Water conservancy, environment and public facilities", "O": "Residents' and repair services",
    "P": "Education", "Q": "Health and social work", "R": "Culture, sports and entertainment",
    "S": "Public administration and social organisations", "T": "International organisations",
}


@cache
def sections_zh() -> dict[str, str]:
    with GBT4754.open(encoding="utf-8") as handle:
        return {row["section"]: row["section_name"] for row in csv.DictReader(handle)}


def section_name(letter: str) -> str:
    """A GB/T 4754 section as "I 信息传输、软件和信息技术服务业" (English names when English is chosen)."""
    names = SECTIONS_EN if (get_language() or "").startswith("en") else sections_zh()
    name = names.get(letter)
    return f"{letter} {name}" if name else (letter or str(_("Not classified")))


SIZE_LABELS: dict[str, str | Promise] = {
    "large": _("Large"), "medium": _("Medium-sized"), "small": _("Small"), "micro": _("Micro"),
    "unknown": _("Size not known"),
}
BAND_LABELS: dict[str, str | Promise] = {
    "ge100m": _("100 million yuan or more"), "10m_100m": _("10 to 100 million yuan"),
    "5m_10m": _("5 to 10 million yuan"), "1m_5m": _("1 to 5 million yuan"), "lt1m": _("Under 1 million yuan"),
}
TAG_LABELS: dict[str, str | Promise] = {
    "high_tech": _("High-tech enterprise"), "specialised": _("Specialised and innovative (专精特新)"),
    "above_scale": _("Above designated size (规上)"),
}


def status_label(key: str) -> str:
    from qinqing.cockpit.models import EnterpriseState

    return str(dict(EnterpriseState.Status.choices).get(key, key))


def level_label(level: str) -> str:
    return str(dict(Region.Level.choices).get(level, _("Children") if level == "children" else level))


def dimension_label(dimension: str, key: str) -> str:
    """A dimension's key in words: 'I' → 'I 信息传输、软件和信息技术服务业', 'high_tech' → '高新技术企业'."""
    if not key:
        return str(_("Not stated"))
    if dimension == "industry":
        return section_name(key)
    if dimension == "status":
        return str(STATUS_CHART_LABELS[key]) if key in STATUS_CHART_LABELS else status_label(key)
    table = {"size": SIZE_LABELS, "capital_band": BAND_LABELS, "tag": TAG_LABELS}.get(dimension, {})
    return str(table.get(key, key))


def row_code(row: Any) -> str:
    """The region code of a `queries.children` row."""
    region = getattr(row, "region", None)
    return str(getattr(region, "code", None) or getattr(row, "code", "") or "")


def row_level(row: Any) -> str:
    region = getattr(row, "region", None)
    return str(getattr(region, "level", None) or getattr(row, "level", "") or "")


def row_name(row: Any) -> str:
    region = getattr(row, "region", None)
    return str(getattr(region, "name", None) or getattr(row, "name", "") or "")
