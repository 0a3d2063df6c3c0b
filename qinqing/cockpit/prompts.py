"""The visit-prompt consumer: a new registration at or above its node's threshold raises a visit task.

Registrations arrive two ways: an enterprise opening its account (`EnterpriseRegistered`) and the market
registry's records (`EnterpriseFactsChanged` of `market_registry` with a new record: `POST
/api/v1/datahub/market_registry/records`, `qinqing importdata`). Either way the registry record decides;
a unique constraint and the check in `raise_visit_prompt` make it once per enterprise.
"""

from __future__ import annotations

from collections.abc import Sequence

from qinqing.cockpit.services.visits import prompt_usccs
from qinqing.core.events import EnterpriseFactsChanged, EnterpriseRegistered, Stored

CONSUMER = "cockpit.visit_prompts"
HANDLES = frozenset({EnterpriseRegistered, EnterpriseFactsChanged})
REGISTRY = "market_registry"


def apply_events(batch: Sequence[Stored]) -> None:
    """Consider each newly registered enterprise of the batch, at the time its event happened."""
    for stored in batch:
        event = stored.event
        if isinstance(event, EnterpriseFactsChanged) and not (event.created and REGISTRY in event.sources):
            continue
        prompt_usccs([event.enterprise], now=stored.occurred_at)
