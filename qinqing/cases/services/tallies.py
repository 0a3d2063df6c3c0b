"""The platform's headline counters, counted from domain events by an outbox consumer.

Counting from events instead of `COUNT(*)` over every case and timeline row keeps the home page
as fast at a million cases as at ten. The consumer applies each batch in the transaction that
moves its cursor, so every event is counted exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db.models import F

from qinqing.cases.models import ServedEnterprise, Tally
from qinqing.core.events import (
    AuthorisationGranted,
    AuthorisationRevoked,
    CaseDecided,
    CaseSubmitted,
    DomainEvent,
    LicenceIssued,
    LicenceRevoked,
    Stored,
)

CONSUMER = "cases.tallies"
CASES = "cases"  # applications that reached a department (submitted, or a 一件事 step started)
AUTOMATIC = "decided_automatically"  # of which decided by their rules in seconds (秒办)
LICENCES = "licences_issued"
SERVICE_USES = "service_uses"  # every event of an enterprise's dealings: submission, decision, licence, mandate
ENTERPRISES = "enterprises_served"
NAMES = (CASES, AUTOMATIC, LICENCES, SERVICE_USES, ENTERPRISES)
# What counts as one use of the platform's services by an enterprise.
SERVICE_EVENTS: frozenset[type[DomainEvent]] = frozenset({
    CaseSubmitted, CaseDecided, LicenceIssued, LicenceRevoked, AuthorisationGranted, AuthorisationRevoked,
})


def count_events(batch: Sequence[Stored]) -> None:
    """Add one batch of events to the counters (runs in the consumer's transaction)."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, Stored] = {}
    for stored in batch:
        event = stored.event
        counts[SERVICE_USES] += 1
        if isinstance(event, CaseSubmitted):
            counts[CASES] += 1
            first_seen.setdefault(event.enterprise, stored)
        elif isinstance(event, CaseDecided) and event.automatic:
            counts[AUTOMATIC] += 1
        elif isinstance(event, LicenceIssued):
            counts[LICENCES] += 1
    if first_seen:
        known = set(ServedEnterprise.objects.filter(uscc__in=list(first_seen)).values_list("uscc", flat=True))
        new = [ServedEnterprise(uscc=uscc, first_served_at=s.occurred_at)
               for uscc, s in first_seen.items() if uscc not in known]
        ServedEnterprise.objects.bulk_create(new)
        counts[ENTERPRISES] += len(new)
    for name, amount in counts.items():
        if amount and not Tally.objects.filter(name=name).update(value=F("value") + amount):
            Tally.objects.create(name=name, value=amount)


def tallies() -> dict[str, int]:
    """Every headline counter (zero for one that has counted nothing yet)."""
    values = dict(Tally.objects.values_list("name", "value"))
    return {name: int(values.get(name, 0)) for name in NAMES}
