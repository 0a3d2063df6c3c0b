"""The outbox consumer of the policies app: publishing matches the registry, changed facts one enterprise."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from qinqing.accounts.models import Enterprise
from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged, PolicyPublished, Stored
from qinqing.policies import facttable
from qinqing.policies.matching import compile_version, match_all, partitions_for
from qinqing.policies.models import Policy
from qinqing.policies.services.claims import apply_match, rematch_enterprise
from qinqing.policies.workflow import PolicyStatus

CONSUMER = "policies.matching"
HANDLES: frozenset[type[events.DomainEvent]] = frozenset({PolicyPublished, EnterpriseFactsChanged})


def match_published(*, policy_id: int, version_id: int, partitions: int = 1, part: int | None = None) -> int:
    """Match every enterprise of a published policy's region; push, and for 免申即享 commit payouts.

    `part` None: every partition in turn, here; a number: that partition only (one Huey job of
    `policies.tasks.match_partition_task`, see docs/deploy.md). Each match is re-checked per record
    (`explain`: the reasons with their sources) and applied in its own transaction, idempotently.
    """
    policy = Policy.objects.select_related("current_version", "region").filter(pk=policy_id).first()
    if policy is None or policy.status != PolicyStatus.PUBLISHED or policy.current_version_id != version_id:
        return 0  # paused, closed or superseded since: the newer event does the work
    assert policy.current_version is not None
    compiled = compile_version(policy.current_version, policy=policy)
    committed = 0
    for number in range(partitions) if part is None else [part]:
        run = match_all(policy.current_version, partitions=partitions, part=number, explain=True)
        by_id = Enterprise.objects.select_related("region").in_bulk([m.enterprise_id for m in run.eligible])
        for match in run.eligible:
            if not match.eligible:
                continue
            with events.atomic():
                if apply_match(policy=policy, compiled=compiled, match=match,
                               enterprise=by_id[match.enterprise_id]):
                    committed += 1
    return committed


def publish_matching(*, policy_id: int, version_id: int) -> int:
    """Match a published policy here, or (a registry of more than one partition) as one Huey job per partition.

    The jobs are enqueued after this transaction commits; each is idempotent (an entitlement per
    policy, enterprise and period), so a retried or duplicated job never pays twice.
    """
    size = int(getattr(settings, "QINQING_MATCH_PARTITION_SIZE", 200_000))
    policy = Policy.objects.select_related("region").filter(pk=policy_id).first()
    if policy is None:
        return 0
    count = Enterprise.objects.filter(region__path__startswith=policy.region.path).count()
    partitions = partitions_for(count, size)
    if partitions == 1:
        return match_published(policy_id=policy_id, version_id=version_id)
    from qinqing.policies.tasks import match_partition_task  # tasks import the services

    def enqueue() -> None:
        for part in range(partitions):
            match_partition_task(policy_id, version_id, partitions, part)

    transaction.on_commit(enqueue)
    return 0


def apply_events(batch: Sequence[Stored]) -> None:
    """Apply a batch of the outbox (inside the transaction that moves this consumer's cursor)."""
    # The kept snapshot's rows first (a no-op where the facts consumer already read them): re-matching reads them.
    facttable.refresh_for(batch)
    for stored in batch:
        event = stored.event
        if isinstance(event, PolicyPublished):
            publish_matching(policy_id=event.policy_id, version_id=event.version_id)
        elif isinstance(event, EnterpriseFactsChanged):
            enterprise = Enterprise.objects.select_related("region").filter(uscc=event.enterprise).first()
            if enterprise is not None:
                with events.atomic():
                    rematch_enterprise(enterprise=enterprise)
