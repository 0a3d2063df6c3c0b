"""Facts government already holds about an enterprise, each with its provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from qinqing.datahub.models import RegistryRecord

REGISTRY_FACTS = (
    "uscc", "name", "legal_representative", "registered_capital", "industry_code", "industry_name",
    "address", "region_code", "established_on", "status", "entity_type",
)
DERIVED_FACTS = ("years_established",)


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str
    source_name: str
    as_of: dt.datetime


def all_fact_names() -> list[str]:
    """Every fact name a form prefill or a rule may read from shared data."""
    return [f"registry.{name}" for name in (*REGISTRY_FACTS, *DERIVED_FACTS)]


def _years_since(day: dt.date, today: dt.date) -> int:
    years = today.year - day.year
    if (today.month, today.day) < (day.month, day.day):
        years -= 1
    return years


def facts_for(uscc: str) -> dict[str, Fact]:
    """Return "registry.<name>" → Fact for one enterprise; empty when no source holds it."""
    record = RegistryRecord.objects.select_related("source").filter(uscc=uscc).first()
    if record is None:
        return {}
    source = record.source
    out: dict[str, Fact] = {}
    for name in REGISTRY_FACTS:
        out[f"registry.{name}"] = Fact(getattr(record, name), source.code, source.name, record.as_of)
    today = timezone.localdate()
    out["registry.years_established"] = Fact(
        _years_since(record.established_on, today), source.code, source.name, record.as_of
    )
    return out


def fact_values(facts: dict[str, Fact]) -> dict[str, Any]:
    """Nest facts as {"registry": {...}} for rule evaluation, with JSON-friendly values."""
    nested: dict[str, dict[str, Any]] = {}
    for dotted, fact in facts.items():
        group, name = dotted.split(".", 1)
        value = fact.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        nested.setdefault(group, {})[name] = value
    return nested
