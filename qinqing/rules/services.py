"""Publish rule set versions; look up parsed versions for evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Max

from qinqing.audit.services import record_event
from qinqing.rules.engine import RuleSetSpec, parse_rule_set
from qinqing.rules.models import RuleSet, RuleSetVersion


def publish_rule_set_version(
    *, rule_set: RuleSet, conditions: list[dict[str, Any]], note: str = "", actor: Any = None,
    allowed_facts: Iterable[str] | None = None,
) -> RuleSetVersion:
    """Validate conditions and store them as the rule set's next version."""
    parse_rule_set(conditions, allowed_facts)
    with transaction.atomic():
        RuleSet.objects.select_for_update().filter(pk=rule_set.pk).first()
        latest = rule_set.versions.aggregate(m=Max("number"))["m"] or 0
        version = RuleSetVersion.objects.create(rule_set=rule_set, number=latest + 1, conditions=conditions, note=note)
        record_event(actor=actor, action="rule_set.published", obj=version,
                     after={"rule_set": rule_set.code, "number": version.number, "conditions": conditions},
                     rule_set_version=version.label)
    return version


@lru_cache(maxsize=4096)
def _parsed(version_id: int) -> RuleSetSpec:
    # Versions are immutable, so the parse can be kept for the life of the process.
    version = RuleSetVersion.objects.get(pk=version_id)
    return parse_rule_set(version.conditions)


def parsed_version(version: RuleSetVersion) -> RuleSetSpec:
    """Return the parsed conditions of a version (cached)."""
    return _parsed(version.pk)
