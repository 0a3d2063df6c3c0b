"""Helpers of the cockpit's tests: registrations through the registry import, staff of each node."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import create_staff
from qinqing.cockpit import prompts
from qinqing.core import clock
from qinqing.core.events import EVENT_TYPES, Stored
from qinqing.core.models import OutboxEvent
from qinqing.datahub.services import import_records
from qinqing.datahub.tests.support import new_uscc, registry_row

PASSWORD = "Qinqing@2026"
PARK_UNIT = "33010800140000200301"  # 物联网产业园2号楼 3层 301室
DONGXIN_UNIT = "33010800301500100502"  # 东方通信科技园 5层 502室


def today() -> dt.date:
    return clock.local(timezone.now()).date()


def run_prompts(uscc: str = "") -> None:
    """Apply the prompt consumer to the registrations in the outbox (of one enterprise), as the worker would.

    It reads the outbox itself rather than by the consumer's cursor: on a PostgreSQL cluster shared with
    other work, a cursor waits until every older transaction of the whole cluster has ended.
    """
    names = [cls.NAME for cls in prompts.HANDLES]
    rows = OutboxEvent.objects.filter(name__in=names).order_by("txid", "seq")
    if uscc:
        rows = rows.filter(enterprise=uscc)
    prompts.apply_events([Stored(r.seq, r.txid, r.occurred_at,
                                 EVENT_TYPES[r.name].from_row(r.payload, enterprise=r.enterprise, region=r.region))
                          for r in rows])


def register(seed: int, *, capital: str = "10000000.00", region: str = PARK_UNIT, days_ago: int = 2,
             **changes: Any) -> str:
    """Import a fresh registry record through the market-registry import and run the prompt consumer."""
    uscc = new_uscc(seed)
    row = registry_row(uscc, registered_capital=capital, region_code=region,
                       established_on=(today() - dt.timedelta(days=days_ago)).isoformat(), **changes)
    import_records(source_code="market_registry", rows=[row], actor="test")
    run_prompts(uscc)
    return uscc


def staff(username: str, role: str, region: str) -> User:
    return create_staff(username=username, password=PASSWORD, department=None, roles=[role], region=region,
                        display_name=username)


def grid(username: str = "t_grid", region: str = "330108001400") -> User:
    return staff(username, Role.GRID_STAFF, region)
