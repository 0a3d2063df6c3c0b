"""Bundle definitions from the package's data file, and the merged form of one bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from qinqing.accounts.models import Department
from qinqing.bundles.definitions import MergedForm, check_graph, merge
from qinqing.bundles.models import Bundle, BundleStep
from qinqing.catalog.models import Matter

DATA = Path(__file__).resolve().parent.parent / "data"


def steps_of(bundle: Bundle) -> list[BundleStep]:
    """The bundle's steps with their matters' fields and materials loaded."""
    return list(bundle.steps.select_related("matter", "matter__department", "matter__rule_set")
                .prefetch_related("matter__fields", "matter__materials"))


def merged_form(bundle: Bundle) -> MergedForm:
    return merge(steps_of(bundle))


@transaction.atomic
def load_bundles(path: Path | None = None) -> int:
    """Create or update the bundles in the data file; a definition that cannot work is refused."""
    with (path or DATA / "bundles.json").open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)
    for order, row in enumerate(rows):
        check_graph([(s["key"], list(s.get("requires", []))) for s in row["steps"]])
        bundle, _created = Bundle.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "name_en": row.get("name_en", ""),
            "lead_department": Department.objects.get(code=row["lead_department"]),
            "summary": row.get("summary", ""), "summary_en": row.get("summary_en", ""),
            "basis": row.get("basis", ""), "confidence": row.get("confidence", ""),
            "government_acts": bool(row.get("government_acts", False)), "active": row.get("active", True),
            "order": order,
        })
        keys = []
        for index, s in enumerate(row["steps"]):
            keys.append(s["key"])
            BundleStep.objects.update_or_create(bundle=bundle, key=s["key"], defaults={
                "matter": Matter.objects.get(code=s["matter"]), "order": index,
                "requires": list(s.get("requires", [])), "performer": s.get("performer", "enterprise"),
                "enabled": s.get("enabled", True), "inputs": dict(s.get("inputs", {})),
                "note": s.get("note", ""), "note_en": s.get("note_en", ""),
            })
        bundle.steps.exclude(key__in=keys).delete()
        merged_form(bundle)  # raises DefinitionError: the transaction rolls back
    return len(rows)
