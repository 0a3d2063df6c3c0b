"""Load the catalog (boards, departments, matters, forms, materials, rule sets) from data files."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from qinqing.accounts.models import Department
from qinqing.catalog import cache
from qinqing.catalog.models import (
    Board,
    DuplicatePolicy,
    FormField,
    MaterialRequirement,
    Matter,
    TimeUnit,
    duplicate_policy_problem,
    satisfied_by_problem,
)
from qinqing.core.values import unit_problem
from qinqing.rules.models import RuleSet
from qinqing.rules.services import publish_rule_set_version

DATA = Path(__file__).resolve().parent / "data"


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def matter_rows() -> list[dict[str, Any]]:
    with (DATA / "matters.json").open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)
    return rows


class CatalogDataError(ValueError):
    """The data files describe something the catalog cannot hold."""


def duplicate_policy_of(row: dict[str, Any]) -> dict[str, Any]:
    """The Matter columns of a row's `duplicate_policy` object; refuse an inconsistent one.

    `{"policy": "many" | "one_open" | "one_per_period" | "one_per_project", "period": "year" | "quarter" |
    "month", "project_field": <form field key>, "single_valid_licence": bool}`; absent means "many".
    """
    spec = row.get("duplicate_policy") or {}
    policy = str(spec.get("policy", DuplicatePolicy.MANY))
    period = str(spec.get("period", "") or "")
    project_field = str(spec.get("project_field", "") or "")
    keys = {f["key"] for f in row.get("fields", [])}
    problem = duplicate_policy_problem(policy, period, project_field, keys)
    if problem:
        raise CatalogDataError(f"{row['code']}: duplicate_policy: {problem}")
    unit = row.get("manual_unit") or TimeUnit.WORKING_DAYS
    if unit not in TimeUnit.values:
        raise CatalogDataError(f"{row['code']}: manual_unit {unit!r} is not one of {', '.join(TimeUnit.values)}")
    return {"duplicate_policy": policy, "duplicate_period": period, "duplicate_project_field": project_field,
            "single_valid_licence": bool(spec.get("single_valid_licence", False))}


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def load_catalog() -> dict[str, int]:
    """Create or update everything in the data files; publish a rule set version when it changed."""
    boards = {}
    for b in _csv("boards.csv"):
        boards[b["code"]], _ = Board.objects.update_or_create(
            code=b["code"], defaults={"name": b["name"], "name_en": b["name_en"], "order": int(b["order"])}
        )
    departments = {}
    for d in _csv("departments.csv"):
        departments[d["code"]], _ = Department.objects.update_or_create(
            code=d["code"], defaults={"name": d["name"], "name_en": d["name_en"]}
        )
    published = 0
    rows = matter_rows()
    _check_satisfied_by(rows)
    _check_fields(rows)
    policies = {row["code"]: duplicate_policy_of(row) for row in rows}
    for row in rows:
        matter, _ = Matter.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"], "name_en": row.get("name_en", ""), "board": boards[row["board"]],
                "department": departments[row["department"]], "matter_type": row["matter_type"],
                "kind": row["kind"], "legal_basis": row["legal_basis"],
                "legal_basis_en": row.get("legal_basis_en", ""),
                "statutory_limit": row["statutory_limit"], "statutory_unit": row["statutory_unit"],
                "promised_limit": row["promised_limit"], "promised_unit": row["promised_unit"],
                "fee": Decimal(str(row.get("fee", "0.00"))), "licence_name": row["licence_name"],
                "licence_name_en": row.get("licence_name_en", ""),
                "licence_valid_years": row.get("licence_valid_years"), "active": row.get("active", True),
                "source_id": row.get("source_id", ""), "confidence": row.get("confidence", ""),
                "licence_fields": row.get("licence_fields", []),
                "issues_project_code": row.get("issues_project_code", False),
                "manual_limit": row.get("manual_limit"),
                "manual_unit": row.get("manual_unit") or TimeUnit.WORKING_DAYS,
                **policies[row["code"]],
            },
        )
        _sync_fields(matter, row.get("fields", []))
        _sync_materials(matter, row.get("materials", []))
        rules = row.get("rules")
        if rules:
            rule_set, _ = RuleSet.objects.get_or_create(code=matter.code, defaults={"name": matter.name})
            current = rule_set.current_version()
            if current is None or current.conditions != rules["conditions"]:
                publish_rule_set_version(rule_set=rule_set, conditions=rules["conditions"], note="loaded from catalog data")
                published += 1
            matter.rule_set = rule_set
            matter.automatic = True
        else:
            matter.automatic = False
        matter.save(update_fields=["rule_set", "automatic"])
    cache.bump()  # also for changes the row signals do not see (bulk deletes and updates)
    return {"boards": len(boards), "departments": len(departments), "matters": len(rows), "rule_sets_published": published}


def _sync_fields(matter: Matter, fields: list[dict[str, Any]]) -> None:
    keep = []
    for order, f in enumerate(fields):
        FormField.objects.update_or_create(
            matter=matter, key=f["key"],
            defaults={
                "label": f["label"], "label_en": f.get("label_en", ""), "type": f["type"],
                "kind": f.get("kind") or "", "unit": f.get("unit") or "",
                "required": f.get("required", True), "choices": f.get("choices", []),
                "min_value": _dec(f.get("min")), "max_value": _dec(f.get("max")), "max_length": f.get("max_length"),
                "prefill": f.get("prefill") or "", "editable": f.get("editable", True),
                "help_text": f.get("help", ""), "help_text_en": f.get("help_en", ""), "order": order,
            },
        )
        keep.append(f["key"])
    matter.fields.exclude(key__in=keep).delete()


def _check_satisfied_by(rows: list[dict[str, Any]]) -> None:
    """Refuse a material whose satisfied_by is not "", "form", a known source or licences:<known matter>."""
    codes = {row["code"] for row in rows}
    problems = []
    for row in rows:
        for m in row.get("materials", []):
            problem = satisfied_by_problem(m.get("satisfied_by") or "", codes)
            if problem:
                problems.append(f"{row['code']} material {m['code']}: satisfied_by {problem}")
    if problems:
        raise CatalogDataError("; ".join(problems))


TEXT_KINDS = frozenset(k.value for k in FormField.Kind) - {"", FormField.Kind.AMOUNT, FormField.Kind.AREA}
NUMBER_KINDS = frozenset({FormField.Kind.AMOUNT.value, FormField.Kind.AREA.value})


def field_problems(row: dict[str, Any]) -> list[str]:
    """What is wrong with one matter's field kinds, units and licence fields (empty when nothing)."""
    problems = []
    keys = {f["key"] for f in row.get("fields", [])}
    for f in row.get("fields", []):
        kind, unit = f.get("kind") or "", f.get("unit") or ""
        if kind not in FormField.Kind.values:
            problems.append(f"{row['code']} field {f['key']}: unknown kind {kind!r}")
        elif kind in TEXT_KINDS and f["type"] != FormField.Type.TEXT:
            problems.append(f"{row['code']} field {f['key']}: kind {kind} needs type text")
        elif kind in NUMBER_KINDS and f["type"] != FormField.Type.DECIMAL:
            problems.append(f"{row['code']} field {f['key']}: kind {kind} needs type decimal")
        if unit_problem(unit):
            problems.append(f"{row['code']} field {f['key']}: {unit_problem(unit)}")
    for key in row.get("licence_fields", []):
        if key not in keys:
            problems.append(f"{row['code']} licence_fields: no field {key}")
    return problems


def _check_fields(rows: list[dict[str, Any]]) -> None:
    problems = [p for row in rows for p in field_problems(row)]
    if problems:
        raise CatalogDataError("; ".join(problems))


def _sync_materials(matter: Matter, materials: list[dict[str, Any]]) -> None:
    keep = []
    for order, m in enumerate(materials):
        MaterialRequirement.objects.update_or_create(
            matter=matter, code=m["code"],
            defaults={"name": m["name"], "name_en": m.get("name_en", ""), "required": m.get("required", True),
                      "note": m.get("note", ""), "note_en": m.get("note_en", ""),
                      "satisfied_by": m.get("satisfied_by") or "", "order": order},
        )
        keep.append(m["code"])
    matter.materials.exclude(code__in=keep).delete()
