"""Helpers of the cockpit's tests: registrations through the registry import, staff of each node."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import create_staff
from qinqing.cockpit import prompts
from qinqing.core import clock, events
from qinqing.datahub.services import import_records
from qinqing.datahub.tests.support import new_uscc, registry_row

PASSWORD = "Qinqing@2026"
PARK_UNIT = "33010800140000200301"  # 物联网产业园2号楼 3层 301室
DONGXIN_UNIT = "33010800301500100502"  # 东方通信科技园 5层 502室


def today() -> dt.date:
    return clock.local(timezone.now()).date()


def register(seed: int, *, capital: str = "10000000.00", region: str = PARK_UNIT, days_ago: int = 2,
             **changes: Any) -> str:
    """Import a fresh registry record through the market-registry import and run the prompt consumer."""
    uscc = new_uscc(seed)
    row = registry_row(uscc, registered_capital=capital, region_code=region,
                       established_on=(today() - dt.timedelta(days=days_ago)).isoformat(), **changes)
    import_records(source_code="market_registry", rows=[row], actor="test")
    events.consume(prompts.CONSUMER)
    return uscc


def staff(username: str, role: str, region: str) -> User:
    return create_staff(username=username, password=PASSWORD, department=None, roles=[role], region=region,
                        display_name=username)


def grid(username: str = "t_grid", region: str = "330108001400") -> User:
    return staff(username, Role.GRID_STAFF, region)
