#!/usr/bin/env python3
"""Validate the matter catalogue data in qinqing/catalog/data/.

Checks boards.csv, departments.csv and matters.json for structure, references,
field definitions and rule sets (JSONLogic restricted to a whitelist of
operators).  If the ``datalogic_py`` package is importable, every rule set is
also evaluated against a sensible demo enterprise and generic form values (all
conditions must pass) and against single-value perturbations (at least one
condition other than the commitment tick must be able to fail, so referral to a
reviewer can be demonstrated).

Standard library only (datalogic_py is optional).  Prints counts and exits
non-zero on any error.

With ``--bundles`` it also checks the 一件事 bundle definitions (qinqing/bundles/data/bundles.json):
structure, the step graph (no cycles, inputs read only from steps waited for), consistent merged
fields, licences produced upstream; and prints each bundle's reduction: fields and required materials
applying for each matter separately vs through the one merged application.

Usage: python scripts/check_catalog_data.py [DATA_DIR] [--bundles [PATH]]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "qinqing" / "catalog" / "data"

BOARDS = [
    ("commercial_registration", "商事登记", "Business registration", "1"),
    ("investment_approval", "投资审批", "Investment approval", "2"),
    ("trade_services", "经贸服务", "Trade services", "3"),
    ("qualifications", "资质认证", "Qualifications and permits", "4"),
    ("employee_management", "员工管理", "Employee management", "5"),
    ("other_affairs", "其他事务", "Other affairs", "6"),
]

MATTER_KEYS = [
    "code", "source_id", "confidence", "active", "name", "name_en", "board", "department",
    "matter_type", "kind", "legal_basis", "legal_basis_en", "statutory_limit", "statutory_unit", "promised_limit",
    "promised_unit", "fee", "licence_name", "licence_name_en", "licence_valid_years", "licence_fields", "materials",
    "fields", "rules",
]
# Optional, after promised_unit: the time limit after referral to manual review (automatic matters)
# and how many applications an enterprise may hold (issue 8).
MATTER_OPTIONAL_KEYS = ["manual_limit", "manual_unit", "duplicate_policy", "issues_project_code"]
DUPLICATE_POLICIES = {"many", "one_open", "one_per_period", "one_per_project"}
DUPLICATE_PERIODS = {"year", "quarter", "month"}
MATERIAL_KEYS = ["code", "name", "name_en", "required", "note"]
MATERIAL_OPTIONAL_KEYS = ["satisfied_by"]  # after note; omitted means "" (upload needed)
# note_en (the note in English) follows note when the note is given
MATERIAL_KEY_ORDERS = [MATERIAL_KEYS, MATERIAL_KEYS + MATERIAL_OPTIONAL_KEYS,
                       [*MATERIAL_KEYS, "note_en"], [*MATERIAL_KEYS, "note_en", *MATERIAL_OPTIONAL_KEYS]]
FIELD_KEYS = ["key", "label", "label_en", "type", "required", "prefill", "editable", "help"]
FIELD_OPTIONAL_KEYS = {"choices", "min", "max", "max_length", "kind", "unit", "help_en"}
# The value kinds and units of qinqing.catalog.models.FormField.Kind and qinqing.core.values.UNITS.
FIELD_TEXT_KINDS = {"uscc", "resident_id", "id_or_uscc", "mobile", "landline", "phone", "bank_account", "postcode", "email"}
FIELD_NUMBER_KINDS = {"amount", "area"}
FIELD_UNITS = {"yuan", "wan_yuan", "yi_yuan", "wan_usd", "m2", "mu", "hectare", "percent", "person", "year", "month",
               "metre", "piece"}
CONDITION_KEYS = ["key", "label", "label_en", "failure", "failure_en", "facts", "expr"]
# the threshold written out for reviewers, and a figure computed from the facts (e.g. a rate)
CONDITION_OPTIONAL_KEYS = {"requirement", "requirement_en", "measure"}

MATTER_TYPES = {"行政许可", "行政确认", "行政给付", "其他行政权力", "公共服务", "备案"}
KINDS = {"immediate", "promised"}
UNITS = {"working_days", "calendar_days"}
FIELD_TYPES = {"text", "textarea", "integer", "decimal", "date", "choice", "boolean"}

REGISTRY_PREFILLS = {
    "registry.uscc", "registry.name", "registry.legal_representative", "registry.registered_capital",
    "registry.industry_code", "registry.industry_name", "registry.address", "registry.region_code",
    "registry.established_on", "registry.status", "registry.entity_type",
}
REGISTRY_FACTS = REGISTRY_PREFILLS | {"registry.years_established"}

# Facts of the shared-data sources a form field may be prefilled from (qinqing.datahub), with their type:
# "t" text, "d" decimal, "i" integer, "date".
SHARED_FACTS: dict[str, dict[str, str]] = {
    "registry": {
        "uscc": "t", "name": "t", "legal_representative": "t", "registered_capital": "d", "industry_code": "t",
        "industry_name": "t", "address": "t", "region_code": "t", "established_on": "date", "status": "t",
        "entity_type": "t", "years_established": "i",
    },
    "land": {
        "contract_no": "t", "parcel_no": "t", "location": "t", "area": "d", "use": "t", "price": "d",
        "signed_on": "date", "term_years": "i", "plot_ratio": "d", "building_density": "d", "green_ratio": "d",
    },
    "project": {"code": "t", "name": "t", "location": "t", "total_investment": "d", "filed_on": "date"},
    "social": {"account_no": "t", "registered_on": "date", "insured_count": "i", "insured_start_last_year": "i",
               "insured_end_last_year": "i", "agency": "t"},
    "fund": {"account_no": "t", "registered_on": "date", "depositors": "i", "deposit_ratio": "d"},
    "tax": {"taxpayer_type": "t", "tax_authority": "t", "registered_on": "date", "credit_rating": "t"},
    "qualification": {"name": "t", "level": "t", "cert_no": "t", "valid_until": "date"},
}
FACT_TYPES = {f"{group}.{name}": kind for group, facts in SHARED_FACTS.items() for name, kind in facts.items()}
PREFILLS = set(FACT_TYPES)
# Field types that can hold a fact of each kind.
FACT_FIELD_TYPES = {
    "t": {"text", "textarea", "choice"}, "d": {"decimal"}, "i": {"integer", "decimal"}, "date": {"date"},
}

# MaterialRequirement.satisfied_by: "" (upload), "form" (the online form is the material), a source,
# or licences:<MATTER-CODE> (an e-licence the platform issued for that matter).
SATISFIED_SOURCES = {
    "market_registry", "land_contracts", "project_codes", "social_insurance", "housing_fund",
    "tax_registration", "qualifications",
}
LICENCE_PREFIX = "licences:"

OPERATORS = {
    "var", "==", "!=", "===", "!==", ">", ">=", "<", "<=", "!", "!!", "and", "or", "if", "in",
    "+", "-", "*", "/", "min", "max", "missing",
}

# Column sizes of the catalogue models (qinqing/catalog/models.py); longer values would not load.
MAX_LEN = {
    "matter.name": 200, "matter.name_en": 300, "matter.licence_name": 100, "matter.confidence": 100,
    "matter.matter_type": 32, "field.key": 64, "field.label": 100, "field.label_en": 160, "field.help": 300,
    "material.code": 64, "material.name": 200, "material.name_en": 300, "material.note": 300,
}

# Sizes of a matter: real application forms (e.g. the construction permit's) run to dozens of fields.
MIN_FIELDS, MAX_FIELDS = 3, 60
MAX_MATERIALS = 12

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE = re.compile(r"^([A-Z]+)-(\d{3})$")
DEPT_CODE = re.compile(r"^[A-Z]{2,8}$")
SOURCE_ID = re.compile(r"^M\d{2}$")
FEE = re.compile(r"^\d+\.\d{2}$")

# A sensible demo enterprise: active, capital within 1M..50M yuan, established >= 2 years ago.
DEMO_REGISTRY: dict[str, Any] = {
    "uscc": "91330108MA2KXY1234",
    "name": "杭州亲清示范科技有限公司",
    "legal_representative": "陈明",
    "registered_capital": 5000000.0,
    "industry_code": "I6513",
    "industry_name": "应用软件开发",
    "address": "浙江省杭州市滨江区西兴街道江陵路1760号",
    "region_code": "330108001001",
    "established_on": "2019-06-18",
    "status": "存续",
    "entity_type": "有限责任公司（自然人投资或控股）",
    "years_established": 6,
}

# Every automatic matter must also pass for these variations of the demo enterprise (the brief's
# bounds: capital 1M..50M yuan, established >= 2 years; a spread of ordinary industries).
PASSING_VARIANTS: list[dict[str, Any]] = [
    {"registered_capital": 1000000.0}, {"registered_capital": 50000000.0}, {"years_established": 2},
    {"status": "在业"}, {"industry_code": "H6210", "industry_name": "正餐服务"},
    {"industry_code": "C3921", "industry_name": "通信终端设备制造"},
    {"industry_code": "F5179", "industry_name": "其他机械设备及电子产品批发"},
    {"industry_code": "C2720", "industry_name": "化学药品制剂制造"},
    {"industry_code": "L7262", "industry_name": "职业中介服务"},
    {"region_code": "330102001001"}, {"region_code": "330127100200"},
]

# Registry values an applicant could plausibly have that differ from the demo one.
REGISTRY_PERTURBATIONS: dict[str, list[Any]] = {
    "status": ["吊销", "注销"],
    "region_code": ["330212001001"],  # 宁波市鄞州区
    "industry_code": ["C3110", "C3011"],  # 炼铁, 水泥制造
    "years_established": [0],
    "registered_capital": [100000.0],
}


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, where: str, msg: str) -> None:
        self.errors.append(f"ERROR {where}: {msg}")

    def warn(self, where: str, msg: str) -> None:
        self.warnings.append(f"WARN  {where}: {msg}")


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def nonempty_str(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def check_len(obj: dict, kind: str, where: str, rep: Report) -> None:
    for name, limit in MAX_LEN.items():
        k, attr = name.split(".")
        if k == kind and isinstance(obj.get(attr), str) and len(obj[attr]) > limit:
            rep.error(where, f"{attr} is {len(obj[attr])} characters (column holds {limit})")


# --------------------------------------------------------------------------- CSVs

def read_csv(path: Path, rep: Report) -> tuple[list[str], list[dict]]:
    if not path.exists():
        rep.error(path.name, "file missing")
        return [], []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def check_boards(data_dir: Path, rep: Report) -> set[str]:
    header, rows = read_csv(data_dir / "boards.csv", rep)
    if header and header != ["code", "name", "name_en", "order"]:
        rep.error("boards.csv", f"header is {header}")
    got = [(r["code"], r["name"], r["name_en"], r["order"]) for r in rows] if header else []
    if header and got != BOARDS:
        rep.error("boards.csv", f"rows differ from the required six boards: {got}")
    return {r[0] for r in got}


def check_departments(data_dir: Path, rep: Report) -> set[str]:
    header, rows = read_csv(data_dir / "departments.csv", rep)
    if header and header != ["code", "name", "name_en"]:
        rep.error("departments.csv", f"header is {header}")
    codes = set()
    for i, r in enumerate(rows, start=2):
        where = f"departments.csv line {i}"
        code = r.get("code") or ""
        if not DEPT_CODE.match(code):
            rep.error(where, f"code {code!r} is not upper-case ASCII")
        if code in codes:
            rep.error(where, f"duplicate code {code}")
        codes.add(code)
        if not nonempty_str(r.get("name")) or not nonempty_str(r.get("name_en")):
            rep.error(where, "name and name_en are required")
    names = Counter(r.get("name") for r in rows)
    for name, n in names.items():
        if n > 1:
            rep.error("departments.csv", f"duplicate name {name}")
    return codes


# --------------------------------------------------------------------------- JSONLogic

def walk_expr(expr, where: str, rep: Report, vars_read: set[str]) -> None:
    """Check operators against the whitelist and collect every var read."""
    if isinstance(expr, dict):
        if len(expr) != 1:
            rep.error(where, f"JSONLogic object must have exactly one operator: {expr}")
            return
        op, args = next(iter(expr.items()))
        if op not in OPERATORS:
            rep.error(where, f"operator {op!r} is not allowed")
            return
        if op == "var":
            name = args[0] if isinstance(args, list) and args else args
            if not isinstance(name, str) or not name:
                rep.error(where, f"var needs a non-empty name: {expr}")
            else:
                vars_read.add(name)
            return
        if op == "missing":
            items = args if isinstance(args, list) else [args]
            for a in items:
                if isinstance(a, str):
                    vars_read.add(a)
                else:
                    rep.error(where, f"missing takes literal names only: {expr}")
            return
        walk_expr(args, where, rep, vars_read)
    elif isinstance(expr, list):
        for item in expr:
            walk_expr(item, where, rep, vars_read)
    elif expr is None or isinstance(expr, (str, int, float, bool)):
        return
    else:
        rep.error(where, f"unexpected value in expression: {expr!r}")


# --------------------------------------------------------------------------- matters

def check_field(field, where: str, rep: Report) -> None:
    if not isinstance(field, dict):
        rep.error(where, "field must be an object")
        return
    for k in FIELD_KEYS:
        if k not in field:
            rep.error(where, f"missing key {k}")
    extra = set(field) - set(FIELD_KEYS) - FIELD_OPTIONAL_KEYS
    if extra:
        rep.error(where, f"unexpected keys {sorted(extra)}")
    key = field.get("key")
    if not isinstance(key, str) or not SNAKE.match(key):
        rep.error(where, f"key {key!r} is not snake_case")
    check_len(field, "field", where, rep)
    for k in ("label", "label_en"):
        if not nonempty_str(field.get(k)):
            rep.error(where, f"{k} must be a non-empty string")
    if not isinstance(field.get("help"), str):
        rep.error(where, "help must be a string")
    for k in ("required", "editable"):
        if not isinstance(field.get(k), bool):
            rep.error(where, f"{k} must be a boolean")
    ftype = field.get("type")
    kind = field.get("kind", "")
    if kind and not ((kind in FIELD_TEXT_KINDS and ftype == "text") or (kind in FIELD_NUMBER_KINDS and ftype == "decimal")):
        rep.error(where, f"kind {kind!r} does not fit type {ftype!r}")
    unit = field.get("unit", "")
    if unit and (unit not in FIELD_UNITS or ftype not in ("decimal", "integer")):
        rep.error(where, f"unit {unit!r} is unknown or not on a number field")
    if ftype not in FIELD_TYPES:
        rep.error(where, f"type {ftype!r} is not valid")
    prefill = field.get("prefill")
    if prefill is not None and prefill not in PREFILLS:
        rep.error(where, f"prefill {prefill!r} is not a shared-data fact")
    elif prefill is not None and ftype in FIELD_TYPES and ftype not in FACT_FIELD_TYPES[FACT_TYPES[prefill]]:
        rep.error(where, f"prefill {prefill} cannot fill a {ftype} field")
    if prefill in ("registry.name", "registry.uscc", "registry.legal_representative") and field.get("editable"):
        rep.error(where, f"identity fact {prefill} must not be editable")
    if prefill is None and field.get("editable") is False:
        rep.warn(where, "non-prefilled field is not editable")
    if ftype == "choice":
        choices = field.get("choices")
        if not isinstance(choices, list) or not choices:
            rep.error(where, "choice field needs a non-empty choices list")
        else:
            values = []
            for c in choices:
                if not isinstance(c, dict) or set(c) != {"value", "label", "label_en"}:
                    rep.error(where, f"bad choice {c}")
                    continue
                if not nonempty_str(c["value"]) or not nonempty_str(c["label"]) or not nonempty_str(c["label_en"]):
                    rep.error(where, f"choice needs non-empty value/label/label_en: {c}")
                values.append(c["value"])
            if len(values) != len(set(values)):
                rep.error(where, "duplicate choice values")
    elif "choices" in field:
        rep.error(where, "only choice fields may have choices")
    for k in ("min", "max"):
        if k in field:
            if ftype not in ("integer", "decimal"):
                rep.error(where, f"{k} only applies to integer/decimal fields")
            if not is_num(field[k]):
                rep.error(where, f"{k} must be a number")
            elif ftype == "integer" and not is_int(field[k]):
                rep.error(where, f"{k} of an integer field must be an integer")
    if is_num(field.get("min")) and is_num(field.get("max")) and field["min"] > field["max"]:
        rep.error(where, "min > max")
    if "max_length" in field:
        if ftype != "text":
            rep.error(where, "max_length only applies to text fields")
        if not is_int(field["max_length"]) or field["max_length"] < 1:
            rep.error(where, "max_length must be a positive integer")
    # prefilled type sanity
    if prefill == "registry.registered_capital" and ftype != "decimal":
        rep.error(where, "registered_capital prefill needs a decimal field")
    if prefill == "registry.established_on" and ftype != "date":
        rep.error(where, "established_on prefill needs a date field")


def check_rules(rules, where: str, fields_by_key: dict, rep: Report) -> None:
    field_keys = set(fields_by_key)
    if not isinstance(rules, dict) or set(rules) != {"version", "conditions"}:
        rep.error(where, "rules must be {version, conditions}")
        return
    if rules["version"] != 1:
        rep.error(where, "rules.version must be 1")
    conds = rules["conditions"]
    if not isinstance(conds, list) or not 2 <= len(conds) <= 5:
        rep.error(where, "rules need 2-5 conditions")
        return
    seen = set()
    for i, c in enumerate(conds):
        cw = f"{where} condition[{i}]"
        if not isinstance(c, dict):
            rep.error(cw, "condition must be an object")
            continue
        if set(c) - CONDITION_OPTIONAL_KEYS != set(CONDITION_KEYS):
            rep.error(cw, f"keys {sorted(c)} differ from {CONDITION_KEYS}")
        key = c.get("key")
        if not isinstance(key, str) or not SNAKE.match(key):
            rep.error(cw, f"key {key!r} is not snake_case")
        if key in seen:
            rep.error(cw, f"duplicate condition key {key}")
        seen.add(key)
        for k in ("label", "label_en", "failure", "failure_en"):
            if not nonempty_str(c.get(k)):
                rep.error(cw, f"{k} must be a non-empty string")
        facts = c.get("facts")
        if not isinstance(facts, list) or not all(isinstance(x, str) for x in facts):
            rep.error(cw, "facts must be a list of strings")
            facts = []
        vars_read: set[str] = set()
        walk_expr(c.get("expr"), cw, rep, vars_read)
        for v in sorted(vars_read):
            if v not in facts:
                rep.error(cw, f"expr reads {v!r} which is not listed in facts")
        for fact in facts:
            if fact.startswith("registry."):
                if fact not in REGISTRY_FACTS:
                    rep.error(cw, f"unknown registry fact {fact!r}")
            elif fact.startswith("form."):
                if fact[5:] not in field_keys:
                    rep.error(cw, f"fact {fact!r} is not a field of this matter")
            else:
                rep.error(cw, f"fact {fact!r} is neither registry.* nor form.*")
            if fact not in vars_read:
                rep.warn(cw, f"fact {fact!r} is listed but never read")
            # The form rejects an unticked *required* checkbox ("must be confirmed"), so a rule on it
            # could never fail; only the commitment box is meant to be a must-tick.
            fld = fields_by_key.get(fact[5:]) if fact.startswith("form.") else None
            if (fld and fld.get("type") == "boolean" and fld.get("required") is True
                    and fld.get("key") != "commitment"):
                rep.error(cw, f"{fact} is a required checkbox, so this condition can never fail; make it optional")


def satisfied_by_problem(value, matter_codes: set[str]) -> str:
    """Why a material's satisfied_by value is invalid, or ""."""
    if not isinstance(value, str):
        return "must be a string"
    if value in ("", "form") or value in SATISFIED_SOURCES:
        return ""
    if value.startswith(LICENCE_PREFIX):
        code = value[len(LICENCE_PREFIX):]
        if not CODE.match(code):
            return f"{value!r}: {code!r} is not a matter code"
        if code not in matter_codes:
            return f"{value!r}: no matter {code}"
        return ""
    return (f'{value!r} is unknown: use "", "form", {LICENCE_PREFIX}<MATTER-CODE> or one of '
            f"{', '.join(sorted(SATISFIED_SOURCES))}")


def check_matter_policies(m: dict, where: str, rep: Report) -> None:
    """manual_limit/manual_unit (required when the matter has rules) and duplicate_policy."""
    limit = m.get("manual_limit")
    if m.get("rules") and limit is None:
        rep.error(where, "a matter decided automatically needs manual_limit (time after referral to a person)")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        rep.error(where, "manual_limit must be a positive integer")
    if "manual_unit" in m and m["manual_unit"] not in ("working_days", "calendar_days"):
        rep.error(where, "manual_unit must be working_days or calendar_days")
    policy = m.get("duplicate_policy")
    if policy is None:
        return
    if not isinstance(policy, dict) or set(policy) - {"policy", "period", "project_field", "single_valid_licence"}:
        rep.error(where, "duplicate_policy must be {policy, period?, project_field?, single_valid_licence?}")
        return
    kind = policy.get("policy", "many")
    if kind not in DUPLICATE_POLICIES:
        rep.error(where, f"duplicate_policy.policy {kind!r} is not one of {sorted(DUPLICATE_POLICIES)}")
    if kind == "one_per_period" and policy.get("period") not in DUPLICATE_PERIODS:
        rep.error(where, f"duplicate_policy.period must be one of {sorted(DUPLICATE_PERIODS)}")
    keys = {f.get("key") for f in m.get("fields", []) if isinstance(f, dict)}
    if kind == "one_per_project" and policy.get("project_field") not in keys:
        rep.error(where, "duplicate_policy.project_field must name a field of the form")
    if not isinstance(policy.get("single_valid_licence", False), bool):
        rep.error(where, "duplicate_policy.single_valid_licence must be true or false")


def check_matter(m, idx: int, boards: set[str], depts: set[str], rep: Report, matter_codes: set[str]) -> None:
    where = f"matters[{idx}]"
    if not isinstance(m, dict):
        rep.error(where, "matter must be an object")
        return
    where = f"{m.get('code', where)}"
    check_matter_policies(m, where, rep)
    if [k for k in m if k not in MATTER_OPTIONAL_KEYS] != MATTER_KEYS:
        missing = [k for k in MATTER_KEYS if k not in m]
        extra = [k for k in m if k not in MATTER_KEYS and k not in MATTER_OPTIONAL_KEYS]
        if missing or extra:
            rep.error(where, f"missing keys {missing}, unexpected keys {extra}")
        else:
            rep.warn(where, "keys are not in the documented order")
    check_len(m, "matter", where, rep)
    field_keys = {f.get("key") for f in m.get("fields") or [] if isinstance(f, dict)}
    licence_fields = m.get("licence_fields")
    if not isinstance(licence_fields, list) or any(k not in field_keys for k in licence_fields):
        rep.error(where, "licence_fields must list keys of the matter's fields")
    if not isinstance(m.get("issues_project_code", False), bool):
        rep.error(where, "issues_project_code must be a boolean")
    code = m.get("code")
    mo = CODE.match(code) if isinstance(code, str) else None
    if not mo:
        rep.error(where, f"code {code!r} must be DEPT-000")
    elif mo.group(1) != m.get("department"):
        rep.error(where, "code prefix does not match department")
    sid = m.get("source_id")
    conf = m.get("confidence")
    if sid == "":
        if conf != "demo":
            rep.error(where, 'matters without source_id must have confidence "demo"')
    elif isinstance(sid, str) and SOURCE_ID.match(sid):
        if not nonempty_str(conf) or conf == "demo":
            rep.error(where, "researched matters must carry the CSV confidence")
    else:
        rep.error(where, f"source_id {sid!r} must be '' or M00")
    if not isinstance(m.get("active"), bool):
        rep.error(where, "active must be a boolean")
    for k in ("name", "name_en", "legal_basis", "licence_name"):
        if not nonempty_str(m.get(k)):
            rep.error(where, f"{k} must be a non-empty string")
    if m.get("board") not in boards:
        rep.error(where, f"board {m.get('board')!r} not in boards.csv")
    if m.get("department") not in depts:
        rep.error(where, f"department {m.get('department')!r} not in departments.csv")
    if m.get("matter_type") not in MATTER_TYPES:
        rep.error(where, f"matter_type {m.get('matter_type')!r} is not valid")
    if m.get("kind") not in KINDS:
        rep.error(where, f"kind {m.get('kind')!r} is not valid")
    for k in ("statutory_limit", "promised_limit"):
        limit = m.get(k)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            rep.error(where, f"{k} must be an integer >= 0")
    for k in ("statutory_unit", "promised_unit"):
        if m.get(k) not in UNITS:
            rep.error(where, f"{k} {m.get(k)!r} is not valid")
    s_lim, p_lim = m.get("statutory_limit"), m.get("promised_limit")
    if (m.get("statutory_unit") == m.get("promised_unit") and isinstance(s_lim, int)
            and isinstance(p_lim, int) and p_lim > s_lim):
        rep.error(where, "promised_limit exceeds statutory_limit")
    fee = m.get("fee")
    if not isinstance(fee, str) or not FEE.match(fee):
        rep.error(where, f"fee {fee!r} must be a string with 2 decimals")
    else:
        try:
            Decimal(fee)
        except InvalidOperation:
            rep.error(where, f"fee {fee!r} is not a number")
    lvy = m.get("licence_valid_years")
    if lvy is not None and (not is_int(lvy) or lvy <= 0):
        rep.error(where, "licence_valid_years must be a positive integer or null")

    materials = m.get("materials")
    if not isinstance(materials, list) or len(materials) > MAX_MATERIALS:
        rep.error(where, f"materials must be a list of 0-{MAX_MATERIALS} items")
        materials = []
    mcodes = set()
    for j, mat in enumerate(materials):
        mw = f"{where} material[{j}]"
        if not isinstance(mat, dict) or list(mat) not in MATERIAL_KEY_ORDERS:
            rep.error(mw, f"keys must be {MATERIAL_KEYS} (+ optional {MATERIAL_OPTIONAL_KEYS})")
            continue
        sat = mat.get("satisfied_by", "")
        problem = satisfied_by_problem(sat, matter_codes)
        if problem:
            rep.error(mw, f"satisfied_by {problem}")
        elif "satisfied_by" in mat and sat == "":
            rep.warn(mw, 'satisfied_by "" is the default: leave the key out')
        if not isinstance(mat["code"], str) or not SNAKE.match(mat["code"]):
            rep.error(mw, f"code {mat['code']!r} is not snake_case")
        if mat["code"] in mcodes:
            rep.error(mw, f"duplicate material code {mat['code']}")
        mcodes.add(mat["code"])
        check_len(mat, "material", mw, rep)
        if not nonempty_str(mat["name"]) or not nonempty_str(mat["name_en"]):
            rep.error(mw, "name and name_en are required")
        if not isinstance(mat["required"], bool) or not isinstance(mat["note"], str):
            rep.error(mw, "required must be boolean and note a string")

    fields = m.get("fields")
    if not isinstance(fields, list) or not MIN_FIELDS <= len(fields) <= MAX_FIELDS:
        rep.error(where, f"fields must be a list of {MIN_FIELDS}-{MAX_FIELDS} items")
        fields = fields if isinstance(fields, list) else []
    keys = []
    for j, fld in enumerate(fields):
        check_field(fld, f"{where} field[{j}]", rep)
        if isinstance(fld, dict):
            keys.append(fld.get("key"))
    dup = [k for k, n in Counter(keys).items() if n > 1]
    if dup:
        rep.error(where, f"duplicate field keys {dup}")

    rules = m.get("rules")
    if rules is not None:
        check_rules(rules, where, {f.get("key"): f for f in fields if isinstance(f, dict)}, rep)
        if "commitment" in keys:
            fld = next(f for f in fields if f.get("key") == "commitment")
            if fld.get("type") != "boolean" or fld.get("required") is not True:
                rep.error(where, "commitment field must be a required boolean")


# --------------------------------------------------------------------------- evaluation

def generic_value(field):
    prefill = field.get("prefill")
    if prefill and prefill.startswith("registry.") and prefill.split(".", 1)[1] in DEMO_REGISTRY:
        return DEMO_REGISTRY[prefill.split(".", 1)[1]]
    ftype = field["type"]
    if ftype in ("text", "textarea"):
        return "测试"
    if ftype in ("integer", "decimal"):
        value = max(field.get("min", 10), 10)
        if "max" in field:
            value = min(value, field["max"])
        return int(value) if ftype == "integer" else float(value)
    if ftype == "boolean":
        return True
    if ftype == "choice":
        return field["choices"][0]["value"]
    if ftype == "date":
        return "2026-01-15"
    raise ValueError(ftype)


def perturbed_values(field):
    """Other plausible values a real applicant might enter."""
    if field.get("prefill"):
        return []
    ftype = field["type"]
    if ftype == "boolean":
        # an unticked optional box arrives as False; a required one cannot be submitted unticked
        return [] if field.get("required") else [False]
    if ftype == "choice":
        return [c["value"] for c in field["choices"][1:]]
    if ftype in ("integer", "decimal"):
        lo = field.get("min", 0)
        hi = field.get("max", 1_000_000)
        vals = [lo, hi]
        return [int(v) if ftype == "integer" else float(v) for v in vals]
    return []


def evaluate(matters, rep: Report) -> dict:
    try:
        import datalogic_py
    except ImportError:
        print("datalogic_py not importable: rule evaluation skipped")
        return {"evaluated": 0}

    def run(expr, data):
        try:
            return datalogic_py.apply(expr, data)
        except Exception as exc:  # evaluation error counts as failure
            return f"error: {exc}"

    evaluated = 0
    for m in matters:
        if not isinstance(m, dict) or not m.get("rules") or not m.get("active"):
            continue
        evaluated += 1
        where = m["code"]
        fields = m["fields"]
        form = {f["key"]: generic_value(f) for f in fields}
        data = {"registry": dict(DEMO_REGISTRY), "form": form}
        conds = m["rules"]["conditions"]
        for c in conds:
            result = run(c["expr"], data)
            if result is not True:
                rep.error(where, f"condition {c['key']} does not pass for the demo enterprise (got {result!r})")
        for variant in PASSING_VARIANTS:
            d = {"registry": {**DEMO_REGISTRY, **variant}, "form": form}
            for c in conds:
                result = run(c["expr"], d)
                if result is not True:
                    rep.error(where, f"condition {c['key']} does not pass for demo variant {variant} (got {result!r})")
        # at least one non-commitment condition must be failable by a plausible applicant
        failable = set()
        variants = []
        for f in fields:
            for v in perturbed_values(f):
                variants.append(("form", f["key"], v))
        for k, vals in REGISTRY_PERTURBATIONS.items():
            for v in vals:
                variants.append(("registry", k, v))
        for scope, k, v in variants:
            d = {"registry": dict(data["registry"]), "form": dict(form)}
            d[scope][k] = v
            for c in conds:
                if c["facts"] == ["form.commitment"]:
                    continue
                if run(c["expr"], d) is not True:
                    failable.add(c["key"])
        if not failable:
            rep.error(where, "no condition (other than the commitment) can fail for a plausible applicant")
    return {"evaluated": evaluated}


# --------------------------------------------------------------------------- bundles (一件事)

DEFAULT_BUNDLES = ROOT / "qinqing" / "bundles" / "data" / "bundles.json"
BUNDLE_KEYS = ["code", "name", "name_en", "lead_department", "summary", "summary_en", "basis", "confidence",
               "government_acts", "steps"]
STEP_KEYS = ["key", "matter", "requires", "performer", "enabled", "note", "note_en", "inputs"]
# editor_note: research behind a step, for editors only (never loaded, never shown)
STEP_KEY_ORDERS = [STEP_KEYS, [*STEP_KEYS[:7], "editor_note", *STEP_KEYS[7:]]]
CONFIDENCES = {"verified-component", "inferred", "plausible", "unverified"}
PERFORMERS = {"enterprise", "agent"}
STEP_OUTPUTS = {"licence_number": {"text"}, "decided_on": {"date"}, "project_code": {"text"}}
# Facts that only exist once a matter has been decided: a field prefilled from them in a later step of a
# bundle containing that matter has no value when the merged form is filled, so it must come from the step
# (inputs: steps.<step>.licence_number / decided_on) instead.
PRODUCED_FACTS = {"project.": {"FGW-001", "FGW-002"}}
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _field_sig(f: dict) -> tuple:
    """What must agree between fields merged under one key (besides the prefill)."""
    return (f.get("type"), tuple(sorted(str(c.get("value")) for c in f.get("choices", []))),
            f.get("max_length"), f.get("min"), f.get("max"))


def _topological(steps: list[dict], where: str, rep: Report) -> list[str] | None:
    """Step keys in dependency order (over the given steps' requires), or None after reporting a cycle."""
    requires = {s["key"]: [r for r in s.get("requires", []) if r in {t["key"] for t in steps}] for s in steps}
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str, path: list[str]) -> bool:
        if state.get(key) == 2:
            return True
        if state.get(key) == 1:
            rep.error(where, "steps form a cycle: " + " → ".join([*path[path.index(key):], key]))
            return False
        state[key] = 1
        for req in requires[key]:
            if not visit(req, [*path, key]):
                return False
        state[key] = 2
        order.append(key)
        return True

    for s in steps:
        if not visit(s["key"], []):
            return None
    return order


def bundle_reduction(bundle: dict, matters: dict[str, dict], rep: Report) -> dict | None:
    """Check one bundle against the catalogue and compute separate vs bundled fields and materials.

    For each enabled step in dependency order, each field of its matter: a field its `inputs` maps to
    steps.<step>.<output> is produced upstream and not asked; otherwise its merged key is the
    inputs-renamed form.<key> or its own key. Fields merged under one key must agree in type, choices
    and bounds, and either all carry a prefill (government data supplies the value) or none does.
    bundled fields = merged keys without a prefill; bundled materials = distinct codes of required
    materials whose satisfied_by is empty.
    """
    where = f"bundle {bundle.get('code')}"
    steps = [s for s in bundle["steps"] if s.get("enabled")]
    order = _topological(steps, where, rep)
    if order is None:
        return None
    by_key = {s["key"]: s for s in steps}
    before: dict[str, set[str]] = {}
    for key in order:
        earlier: set[str] = set()
        for req in by_key[key].get("requires", []):
            if req in by_key:
                earlier |= {req} | before[req]
        before[key] = earlier
    step_of_matter = {s["matter"]: s["key"] for s in steps}
    merged: dict[str, list[tuple[str, dict]]] = {}
    separate_fields = separate_materials = upstream = 0
    missing_materials: dict[str, list[str]] = {}
    satisfied: Counter[str] = Counter()
    for key in order:
        step = by_key[key]
        sw = f"{where} step {key}"
        m = matters.get(step["matter"])
        if m is None:
            continue
        fields = {f["key"]: f for f in m["fields"]}
        separate_fields += len(fields)
        inputs = step.get("inputs", {})
        produced: set[str] = set()
        renamed: dict[str, str] = {}
        for child, source in inputs.items():
            if child not in fields:
                rep.error(sw, f"inputs maps {child!r}, which is not a field of {m['code']}")
                continue
            parts = source.split(".") if isinstance(source, str) else []
            if len(parts) == 3 and parts[0] == "steps":
                up, output = parts[1], parts[2]
                if output not in STEP_OUTPUTS:
                    rep.error(sw, f"inputs {child}: {source!r} is not licence_number, decided_on or project_code")
                elif up not in before[key]:
                    rep.error(sw, f"inputs {child}: reads step {up!r}, which this step does not wait for")
                elif fields[child]["type"] not in STEP_OUTPUTS[output]:
                    rep.error(sw, f"inputs {child}: a {fields[child]['type']} field cannot take {output}")
                elif output == "licence_number" and (fields[child].get("max_length") or 40) < 24:
                    rep.error(sw, f"inputs {child}: max_length {fields[child]['max_length']} is too short "
                                  "for a licence number")
                produced.add(child)
            elif len(parts) == 2 and parts[0] == "form" and SNAKE.match(parts[1]):
                renamed[child] = parts[1]
            else:
                rep.error(sw, f"inputs {child}: {source!r} must be form.<key> or steps.<step>.<output>")
        upstream += len(produced)
        for fkey, f in fields.items():
            if fkey in produced:
                continue
            merged.setdefault(renamed.get(fkey, fkey), []).append((key, f))
        for mat in m["materials"]:
            if not mat["required"]:
                continue
            separate_materials += 1
            sat = mat.get("satisfied_by", "")
            if not sat:
                missing_materials.setdefault(mat["code"], []).append(key)
                continue
            satisfied[sat.split(":")[0]] += 1
            if sat.startswith(LICENCE_PREFIX):
                producer = step_of_matter.get(sat[len(LICENCE_PREFIX):])
                if producer is not None and producer not in before[key]:
                    rep.error(sw, f"material {mat['code']} is the licence of step {producer!r}, "
                                  "which this step does not wait for")
    bundle_matters = set(step_of_matter)
    asked = from_data = asked_once = 0
    for mkey, group in merged.items():
        for k, f in group:
            prefix = next((p for p in PRODUCED_FACTS if (f.get("prefill") or "").startswith(p)), None)
            if prefix and PRODUCED_FACTS[prefix] & bundle_matters:
                rep.error(f"{where} step {k}", f"field {f['key']} is prefilled from {f['prefill']}, which "
                                               "an earlier step of this bundle produces: map it in inputs")
        sigs = {_field_sig(f) for _, f in group}
        if len(sigs) > 1:
            detail = "; ".join(f"{k}: {_field_sig(f)}" for k, f in group)
            rep.error(where, f"field {mkey!r} differs between steps (type, choices, max_length, min, max): {detail}")
        prefills = {f.get("prefill") or "" for _, f in group}
        if len(prefills) > 1:
            detail = ", ".join(f"{k}: {f.get('prefill') or 'typed'}" for k, f in group)
            rep.error(where, f"field {mkey!r} is prefilled in one step and not in another ({detail}); "
                             "the merged form would treat it as government data")
        if any(f.get("prefill") for _, f in group):
            from_data += 1
        else:
            asked += 1
            if len({k for k, _ in group}) > 1:
                asked_once += 1
    return {
        "fields": {"separate": separate_fields, "bundled": asked, "asked_once": asked_once,
                   "from_data": from_data, "from_earlier_steps": upstream},
        "materials": {"separate": separate_materials, "bundled": len(missing_materials),
                      "uploads": sorted(missing_materials), "satisfied_by": dict(sorted(satisfied.items()))},
    }


def check_bundles(path: Path, matters: list[dict], depts: set[str], rep: Report) -> list[tuple[dict, dict]]:
    """Validate the bundle definitions; return (bundle, reduction) for each that could be computed."""
    try:
        bundles = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        rep.error(path.name, f"cannot load: {exc}")
        return []
    if not isinstance(bundles, list):
        rep.error(path.name, "top level must be an array")
        return []
    by_code = {m["code"]: m for m in matters if isinstance(m, dict) and isinstance(m.get("code"), str)}
    out = []
    codes: Counter[str] = Counter()
    for i, b in enumerate(bundles):
        where = f"bundle[{i}]"
        if not isinstance(b, dict):
            rep.error(where, "bundle must be an object")
            continue
        where = f"bundle {b.get('code', i)}"
        codes[b.get("code")] += 1
        if list(b) != BUNDLE_KEYS:
            rep.error(where, f"keys must be {BUNDLE_KEYS}, got {list(b)}")
            continue
        if not isinstance(b["code"], str) or not SLUG.match(b["code"]) or len(b["code"]) > 32:
            rep.error(where, "code must be a slug of at most 32 characters")
        for k in ("name", "name_en", "summary", "summary_en", "basis"):
            if not nonempty_str(b[k]):
                rep.error(where, f"{k} must be a non-empty string")
        if len(b["name"]) > 100 or len(b["name_en"]) > 200:
            rep.error(where, "name (100) or name_en (200) too long")
        if b["lead_department"] not in depts:
            rep.error(where, f"lead_department {b['lead_department']!r} not in departments.csv")
        if b["confidence"] not in CONFIDENCES:
            rep.error(where, f"confidence {b['confidence']!r} must be one of {sorted(CONFIDENCES)}")
        if not isinstance(b["government_acts"], bool):
            rep.error(where, "government_acts must be a boolean")
        steps = b["steps"]
        if not isinstance(steps, list) or len(steps) < 2:
            rep.error(where, "a bundle needs at least two steps")
            continue
        keys: Counter[str] = Counter(s.get("key") for s in steps if isinstance(s, dict))
        ok = True
        for j, s in enumerate(steps):
            sw = f"{where} step[{j}]"
            if not isinstance(s, dict) or list(s) not in STEP_KEY_ORDERS:
                rep.error(sw, f"keys must be {STEP_KEYS}")
                ok = False
                continue
            sw = f"{where} step {s['key']}"
            if not isinstance(s["key"], str) or not SLUG.match(s["key"]) or len(s["key"]) > 32:
                rep.error(sw, "key must be a slug of at most 32 characters")
            if keys[s["key"]] > 1:
                rep.error(sw, "duplicate step key")
            m = by_code.get(s["matter"])
            if m is None:
                rep.error(sw, f"matter {s['matter']!r} is not in matters.json")
                ok = False
            elif m.get("active") is not True:
                rep.error(sw, f"matter {s['matter']} is not online")
            if not isinstance(s["requires"], list) or any(r not in keys for r in s["requires"]):
                rep.error(sw, f"requires {s['requires']!r} must list step keys of this bundle")
                ok = False
            elif s["enabled"] and any(r == s["key"] for r in s["requires"]):
                rep.error(sw, "a step cannot wait for itself")
                ok = False
            if s["performer"] not in PERFORMERS:
                rep.error(sw, f"performer must be one of {sorted(PERFORMERS)}")
            if not isinstance(s["enabled"], bool):
                rep.error(sw, "enabled must be a boolean")
            if not isinstance(s["inputs"], dict):
                rep.error(sw, "inputs must be an object")
                ok = False
            if not isinstance(s["note"], str) or not isinstance(s["note_en"], str):
                rep.error(sw, "note and note_en must be strings")
            elif len(s["note"]) > 300 or len(s["note_en"]) > 400:
                rep.error(sw, "note (300) or note_en (400) too long")
        if ok:
            if _topological(steps, where, rep) is None:  # the whole graph, disabled steps too
                continue
            enabled_keys = {s["key"] for s in steps if s["enabled"]}
            for s in steps:
                if s["enabled"] and any(r not in enabled_keys for r in s["requires"]):
                    rep.warn(f"{where} step {s['key']}", "waits for a disabled step (ignored while it is off)")
            if len(enabled_keys) < 2:
                rep.error(where, "a bundle needs at least two enabled steps")
            if len({s["matter"] for s in steps}) != len(steps):
                rep.error(where, "a matter appears in two steps")
            red = bundle_reduction(b, by_code, rep)
            if red is not None:
                out.append((b, red))
    for code, n in codes.items():
        if n > 1:
            rep.error(path.name, f"duplicate bundle code {code}")
    return out


def _pct(separate: int, bundled: int) -> str:
    return f"-{100 * (separate - bundled) / separate:.2f} %" if separate else "-"


def print_bundles(results: list[tuple[dict, dict]]) -> None:
    print(f"bundles: {len(results)}")
    for b, r in results:
        f, m = r["fields"], r["materials"]
        steps = [s for s in b["steps"] if s["enabled"]]
        off = [s["matter"] for s in b["steps"] if not s["enabled"]]
        print(f"  {b['code']} {b['name']}: {len(steps)} steps ({', '.join(s['matter'] for s in steps)})"
              + (f"; off: {', '.join(off)}" if off else ""))
        print(f"    fields    {f['separate']:>4} -> {f['bundled']:>3}  ({_pct(f['separate'], f['bundled'])})  "
              f"asked once across steps {f['asked_once']}, from government data {f['from_data']}, "
              f"from earlier steps {f['from_earlier_steps']}")
        sat = ", ".join(f"{k} {v}" for k, v in m["satisfied_by"].items()) or "-"
        print(f"    materials {m['separate']:>4} -> {m['bundled']:>3}  ({_pct(m['separate'], m['bundled'])})  "
              f"satisfied by: {sat}")
        print(f"    uploads: {', '.join(m['uploads']) or '-'}")


# --------------------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Validate the matter catalogue (and the 一件事 bundles).")
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--bundles", nargs="?", type=Path, const=DEFAULT_BUNDLES, default=None, metavar="PATH",
                        help=f"also check the bundle definitions and print their reductions (default {DEFAULT_BUNDLES})")
    args = parser.parse_args(argv[1:])
    data_dir = args.data_dir
    rep = Report()
    boards = check_boards(data_dir, rep)
    depts = check_departments(data_dir, rep)

    path = data_dir / "matters.json"
    try:
        matters = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        rep.error("matters.json", f"cannot load: {exc}")
        matters = []
    if not isinstance(matters, list):
        rep.error("matters.json", "top level must be an array")
        matters = []

    matter_codes = {m.get("code") for m in matters if isinstance(m, dict) and isinstance(m.get("code"), str)}
    for i, m in enumerate(matters):
        check_matter(m, i, boards, depts, rep, matter_codes)

    good = [m for m in matters if isinstance(m, dict)]
    codes = Counter(m.get("code") for m in good)
    for code, n in codes.items():
        if n > 1:
            rep.error("matters.json", f"duplicate code {code}")
    names = Counter(m.get("name") for m in good)
    for name, n in names.items():
        if n > 1:
            rep.error("matters.json", f"duplicate name {name}")

    sources: Counter[str] = Counter(str(m["source_id"]) for m in good if m.get("source_id"))
    expected = {f"M{i:02d}" for i in range(1, 37)}
    for sid in sorted(expected - set(sources)):
        rep.error("matters.json", f"researched matter {sid} is missing")
    for sid, n in sources.items():
        if n > 1:
            rep.error("matters.json", f"source_id {sid} used {n} times")
    for m in good:
        if m.get("source_id") == "M22" and m.get("active") is not False:
            rep.error(m.get("code", "M22"), "M22 (abolished 2022) must be inactive")

    active = [m for m in good if m.get("active") is True]
    automatic = [m for m in active if m.get("rules")]
    per_board = Counter(m.get("board") for m in active)
    auto_per_board = Counter(m.get("board") for m in automatic)
    if len(active) < 100:
        rep.error("matters.json", f"only {len(active)} active matters (need >= 100)")
    if len(automatic) < 32:
        rep.error("matters.json", f"only {len(automatic)} active automatic matters (need >= 32)")
    for code, *_ in BOARDS:
        if per_board[code] < 10:
            rep.error("matters.json", f"board {code} has only {per_board[code]} active matters (need >= 10)")

    one_click = [
        m["code"] for m in automatic
        if all(f.get("prefill") or f.get("key") == "commitment" for f in m.get("fields", []))
    ]
    if not one_click:
        rep.error("matters.json", "no automatic matter can be applied for with prefilled fields + commitment only")

    used_depts = {m.get("department") for m in good}
    for d in sorted(depts - used_depts):
        rep.warn("departments.csv", f"department {d} is not used by any matter")

    ev = evaluate(good, rep)
    bundle_results = check_bundles(args.bundles, good, depts, rep) if args.bundles else []

    print(f"boards: {len(boards)}  departments: {len(depts)}  matters: {len(good)} "
          f"(active {len(active)}, inactive {len(good) - len(active)})")
    print(f"automatic (active, with rules): {len(automatic)}  researched rows: {len(sources)}  "
          f"one-click automatic: {', '.join(one_click) or '-'}")
    for code, name, *_ in BOARDS:
        print(f"  {code:<24} {name}  matters {per_board[code]:>3}  automatic {auto_per_board[code]:>3}")
    kinds = Counter(m.get("kind") for m in active)
    types = Counter(m.get("matter_type") for m in active)
    print(f"kinds: {dict(kinds)}")
    print(f"matter types: {dict(types)}")
    if ev.get("evaluated"):
        print(f"rule sets evaluated with datalogic_py: {ev['evaluated']}")
    if args.bundles:
        print_bundles(bundle_results)
    for w in rep.warnings:
        print(w)
    for e in rep.errors:
        print(e)
    if rep.errors:
        print(f"{len(rep.errors)} error(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
