"""Reading the officer's authoring form: builder rows or expert JSON, the amount rule, the policy's fields."""

from __future__ import annotations

import json
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from qinqing.datahub.queries import fact_specs
from qinqing.policies.conditions import ConditionsInvalid, conditions_from_rows
from qinqing.policies.errors import PolicyInvalid

ROWS = 6
FIELDS = ("title", "title_en", "document_number", "region", "valid_from", "valid_until", "mode", "budget",
          "amount_text", "clause", "period", "board", "tags", "summary", "source_note")


def builder_rows(post: QueryDict) -> list[dict[str, str]]:
    return [{"fact": post.get(f"fact_{i}", "")[:80], "op": post.get(f"op_{i}", "")[:4],
             "value": post.get(f"value_{i}", "")[:200]} for i in range(ROWS)]


def _json(raw: str, field: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise PolicyInvalid(_("The JSON cannot be read."), errors={field: [_("The JSON cannot be read.")]}) from None


def eligibility_from(post: QueryDict) -> list[dict[str, Any]]:
    """The expert's JSON when given, else the builder rows as conditions (with the registry's 存续 check)."""
    expert = post.get("eligibility_json", "").strip()
    if expert:
        value = _json(expert, "eligibility")
        return value if isinstance(value, list) else [value]
    try:
        return conditions_from_rows(builder_rows(post), fact_specs())
    except ConditionsInvalid as exc:
        raise PolicyInvalid(_("Please correct the conditions."), errors={"eligibility": exc.errors}) from None


def amount_from(post: QueryDict) -> dict[str, Any]:
    """The expert's formula JSON, else "rate × fact, at most cap" (or a fixed sum when no fact is chosen)."""
    expert = post.get("amount_json", "").strip()
    if expert:
        value = _json(expert, "amount")
        return value if isinstance(value, dict) else {}
    fact = post.get("amount_fact", "").strip()
    factor = post.get("amount_factor", "").strip() or "0"
    cap = post.get("amount_cap", "").strip()
    expr: Any = {"*": [{"var": fact}, factor]} if fact else factor
    return {"expr": expr, "cap": cap}


def policy_data(post: QueryDict) -> dict[str, Any]:
    """Everything the services need from the posted authoring form; each field's problem comes back on it."""
    data: dict[str, Any] = {k: post.get(k, "") for k in FIELDS}
    errors: dict[str, list[str]] = {}
    for key, reader in (("eligibility", eligibility_from), ("amount", amount_from)):
        try:
            data[key] = reader(post)
        except PolicyInvalid as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.errors.items()})
    if errors:
        raise PolicyInvalid(_("The policy cannot be saved: please correct the marked fields."), errors=errors)
    return data
