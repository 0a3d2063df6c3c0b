"""Helpers of the cockpit's tests: the demo city's enterprises, registry changes, running the consumer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import create_staff
from qinqing.cockpit.models import EnterpriseState
from qinqing.cockpit.services.ingest import CONSUMER
from qinqing.core import events
from qinqing.datahub.models import RegistryRecord
from qinqing.datahub.services import import_records
from qinqing.regions.models import Region
from qinqing.web.demo import DEMO_PASSWORD, demo_uscc

XIXING, CHANGHE, PUYAN, BINJIANG = "330108001", "330108002", "330108003", "330108"
REGISTRY_FIELDS = ("name", "legal_representative", "registered_capital", "industry_code", "industry_name",
                   "entity_type", "address", "region_code", "established_on", "status")


def catch_up() -> int:
    """Run the cockpit's consumer until it has applied every event, as the worker would after commit."""
    return events.consume(CONSUMER, batches=100_000)


def node(code: str) -> Region:
    return Region.objects.get(code=code)


def registry_row(index: int, **changes: Any) -> dict[str, Any]:
    record = RegistryRecord.objects.get(uscc=demo_uscc(index))
    row: dict[str, Any] = {"uscc": record.uscc, **{f: getattr(record, f) for f in REGISTRY_FIELDS}}
    row.update(changes)
    return row


def change_registry(*rows: dict[str, Any]) -> None:
    import_records(source_code="market_registry", rows=list(rows), actor="test")


def new_registration(uscc: str, *, region: str, capital: str = "20000000", established: dt.date | None = None,
                     name: str = "杭州测试新创科技有限公司") -> None:
    from django.utils import timezone

    change_registry({"uscc": uscc, "name": name, "legal_representative": "测试", "registered_capital": capital,
                     "industry_code": "I6513", "industry_name": "应用软件开发", "entity_type": "有限责任公司（自然人投资或控股）",
                     "address": "浙江省杭州市滨江区测试路1号", "region_code": region,
                     "established_on": established or timezone.localdate(), "status": "存续"})


def staff(username: str, region: str, role: str = Role.STREET_STAFF) -> User:
    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    return create_staff(username=username, password=DEMO_PASSWORD, department=None, roles=[role], region=region,
                        display_name=username)


def state(index: int) -> EnterpriseState:
    return EnterpriseState.objects.get(uscc=demo_uscc(index))


def fresh_uscc(seed: int = 1) -> str:
    """A valid code no demo enterprise has."""
    import random

    from qinqing.core.ids import generate_uscc

    return generate_uscc(division="330108", rng=random.Random(9_000_000 + seed))
