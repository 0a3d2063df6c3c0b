"""The visit-prompt consumer: a new registration at or above its node's threshold raises a visit task.

Registrations arrive two ways: an enterprise opening its account (`EnterpriseRegistered`) and the market
registry's records (`EnterpriseFactsChanged` of `market_registry` with a new record: `POST
/api/v1/datahub/market_registry/records`, `qinqing importdata`). Either way the registry record decides;
a unique constraint and the check in `raise_visit_prompt` make it once per enterprise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Max, Min

from qinqing.cockpit.models import DEFAULT_MIN_CAPITAL, DEFAULT_NEW_WITHIN_DAYS, VisitThreshold
from qinqing.cockpit.services.visits import prompt_usccs
from qinqing.core import clock
from qinqing.core.events import DomainEvent, EnterpriseFactsChanged, EnterpriseRegistered, Stored
from qinqing.datahub.models import RegistryRecord

CONSUMER = "cockpit.visit_prompts"
HANDLES: frozenset[type[DomainEvent]] = frozenset({EnterpriseRegistered, EnterpriseFactsChanged})
REGISTRY = "market_registry"
LOOKUP_BATCH = 2000


def apply_events(batch: Sequence[Stored]) -> None:
    """Consider each newly registered enterprise of the batch, at the time its event happened.

    One query sifts the batch first (capital at or above the lowest threshold anywhere, established within
    the longest window), so a registry import of a whole city costs a query per batch, not per enterprise.
    """
    moments: dict[str, dt.datetime] = {}
    for stored in batch:
        event = stored.event
        if isinstance(event, EnterpriseFactsChanged) and not (event.created and REGISTRY in event.sources):
            continue
        if event.enterprise:
            moments[event.enterprise] = stored.occurred_at
    if not moments:
        return
    bounds = VisitThreshold.objects.filter(active=True).aggregate(low=Min("min_capital"), days=Max("new_within_days"))
    low = min(DEFAULT_MIN_CAPITAL, bounds["low"] or DEFAULT_MIN_CAPITAL)
    days = max(DEFAULT_NEW_WITHIN_DAYS, bounds["days"] or 0)
    since = clock.local(min(moments.values())).date() - dt.timedelta(days=days)
    usccs = sorted(moments)
    for start in range(0, len(usccs), LOOKUP_BATCH):
        chosen = RegistryRecord.objects.filter(uscc__in=usccs[start:start + LOOKUP_BATCH], registered_capital__gte=low,
                                               established_on__gte=since).values_list("uscc", flat=True)
        for uscc in sorted(chosen):
            prompt_usccs([uscc], now=moments[uscc])
