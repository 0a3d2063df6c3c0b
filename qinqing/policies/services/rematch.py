"""The outbox consumer of the policies app: publishing matches the registry, changed facts one enterprise."""

from __future__ import annotations

from collections.abc import Sequence

from qinqing.accounts.models import Enterprise
from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged, PolicyPublished, Stored
from qinqing.policies.matching import compile_version, match_all
from qinqing.policies.models import Policy
from qinqing.policies.services.claims import apply_match, rematch_enterprise
from qinqing.policies.workflow import PolicyStatus

CONSUMER = "policies.matching"
HANDLES: frozenset[type[events.DomainEvent]] = frozenset({PolicyPublished, EnterpriseFactsChanged})


def match_published(*, policy_id: int, version_id: int) -> int:
    """Match every enterprise of a published policy's region; push, and for 免申即享 commit payouts."""
    policy = Policy.objects.select_related("current_version", "region").filter(pk=policy_id).first()
    if policy is None or policy.status != PolicyStatus.PUBLISHED or policy.current_version_id != version_id:
        return 0  # paused, closed or superseded since: the newer event does the work
    assert policy.current_version is not None
    compiled = compile_version(policy.current_version)
    enterprises = Enterprise.objects.select_related("region").filter(
        region__path__startswith=policy.region.path).order_by("pk")
    committed = 0
    by_id = {e.pk: e for e in enterprises}
    for match in match_all(policy.current_version, by_id.values()):
        if not match.eligible:
            continue
        with events.atomic():
            if apply_match(policy=policy, compiled=compiled, match=match, enterprise=by_id[match.enterprise_id]):
                committed += 1
    return committed


def apply_events(batch: Sequence[Stored]) -> None:
    """Apply a batch of the outbox (inside the transaction that moves this consumer's cursor)."""
    for stored in batch:
        event = stored.event
        if isinstance(event, PolicyPublished):
            match_published(policy_id=event.policy_id, version_id=event.version_id)
        elif isinstance(event, EnterpriseFactsChanged):
            enterprise = Enterprise.objects.select_related("region").filter(uscc=event.enterprise).first()
            if enterprise is not None:
                with events.atomic():
                    rematch_enterprise(enterprise=enterprise)
