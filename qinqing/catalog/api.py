"""Public catalog endpoints: matters with their guides and form schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from qinqing.catalog.models import Matter
from qinqing.catalog.queries import base_matters, public_conditions, search_matters
from qinqing.core.api import ErrorOut

router = Router(tags=["catalog"])


class LimitOut(Schema):
    value: int
    unit: str


class MaterialOut(Schema):
    code: str
    name: str
    required: bool
    note: str
    satisfied_by: str = ""  # "" upload; "form"; a data source; licences:<MATTER-CODE>


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    key: str
    label: str
    type: str
    kind: str = ""  # what the value is beyond its type: uscc, resident_id, mobile, amount, area …
    unit: str = ""  # the unit of a figure: yuan, wan_yuan, m2, mu, percent, person …
    required: bool
    choices: list[ChoiceOut] = []
    prefill: str | None = None
    editable: bool
    help: str = ""


class ConditionOut(Schema):
    key: str
    label: str


class MatterOut(Schema):
    code: str
    name: str
    name_en: str
    board: str
    board_name: str
    department: str
    department_name: str
    matter_type: str
    kind: str
    automatic: bool
    legal_basis: str
    statutory_limit: LimitOut
    promised_limit: LimitOut
    fee: Decimal
    licence_name: str


class DuplicatePolicyOut(Schema):
    """How many applications an enterprise may hold: a second one is refused with 409."""

    policy: str
    period: str = ""
    project_field: str = ""
    single_valid_licence: bool = False


class MatterDetailOut(MatterOut):
    duplicate_policy: DuplicatePolicyOut
    materials: list[MaterialOut]
    form: list[FieldOut]
    conditions: list[ConditionOut]


class MatterFilter(Schema):
    board: str = ""
    q: str = ""


def matter_summary(m: Matter) -> dict[str, Any]:
    return {
        "code": m.code, "name": m.name, "name_en": m.name_en, "board": m.board.code, "board_name": m.board.name,
        "department": m.department.code, "department_name": m.department.name, "matter_type": m.matter_type,
        "kind": m.kind, "automatic": m.is_automatic, "legal_basis": m.legal_basis,
        "statutory_limit": {"value": m.statutory_limit, "unit": m.statutory_unit},
        "promised_limit": {"value": m.promised_limit, "unit": m.promised_unit},
        "fee": m.fee, "licence_name": m.licence_name,
    }


def matter_detail(m: Matter) -> dict[str, Any]:
    return {
        **matter_summary(m),
        "duplicate_policy": {"policy": m.duplicate_policy, "period": m.duplicate_period,
                             "project_field": m.duplicate_project_field,
                             "single_valid_licence": m.single_valid_licence},
        "materials": [
            {"code": r.code, "name": r.name, "required": r.required, "note": r.note, "satisfied_by": r.satisfied_by}
            for r in m.materials.all()
        ],
        "form": [
            {"key": f.key, "label": f.label, "type": f.type, "kind": f.kind, "unit": f.unit, "required": f.required,
             "choices": [{"value": str(c.get("value")), "label": str(c.get("label"))} for c in f.choices or []],
             "prefill": f.prefill or None, "editable": f.editable, "help": f.help_text}
            for f in m.fields.all()
        ],
        "conditions": public_conditions(m),
    }


@router.get("/matters", response={200: list[MatterOut], 400: ErrorOut, 422: ErrorOut}, auth=None)
def list_matters(request: HttpRequest, filters: Query[MatterFilter]) -> list[dict[str, Any]]:
    """List online matters; filter by board code, search Chinese text with `q`."""
    return [matter_summary(m) for m in search_matters(filters.q, filters.board)]


@router.get("/matters/{code}", response={200: MatterDetailOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut}, auth=None)
def get_matter(request: HttpRequest, code: str) -> dict[str, Any]:
    """One matter's guide: limits, fee, materials, form schema, automatic-decision conditions."""
    matter = get_object_or_404(
        base_matters().select_related("rule_set").prefetch_related("materials", "fields"), code=code
    )
    return matter_detail(matter)
