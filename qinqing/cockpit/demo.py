"""The cockpit's demo: 滨江区's visit threshold and two fresh registrations that raise visit prompts."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from qinqing.cockpit.models import DEFAULT_MIN_CAPITAL, VisitThreshold
from qinqing.core import clock
from qinqing.core.ids import generate_uscc
from qinqing.datahub.models import RegistryRecord
from qinqing.datahub.services import import_records
from qinqing.regions.models import Region

# (name, legal representative, capital, industry, unit code, days since registration)
NEW_REGISTRATIONS = (
    ("杭州物联智造科技有限公司", "钱思远", "20000000", ("I6520", "信息系统集成服务"),
     "33010800140000200301", "浙江省杭州市滨江区西兴街道物联网街物联网产业园2号楼3层301室", 6),
    ("杭州东信智感科技有限公司", "冯雨桐", "15000000", ("C3976", "光电子器件制造"),
     "33010800301500100502", "浙江省杭州市滨江区浦沿街道东信大道66号东方通信科技园5层502室", 3),
)


def new_registration_uscc(index: int) -> str:
    """A stable, valid code for the index-th demo registration."""
    return generate_uscc(division="330108", rng=random.Random(20261207 + index))


def load_demo_visits() -> int:
    """Set 滨江区's threshold (10,000,000 yuan) and import the registry records of two fresh registrations.

    The records go through the registry import, so the visit-prompt consumer raises their visits as it
    would for a real import; an existing record is left alone (the demo is safe to run twice).
    """
    binjiang = Region.objects.get(code="330108")
    VisitThreshold.objects.get_or_create(region=binjiang, defaults={"min_capital": DEFAULT_MIN_CAPITAL})
    today = clock.local(timezone.now()).date()
    rows = []
    for index, (name, person, capital, (code, industry), unit, address, days) in enumerate(NEW_REGISTRATIONS):
        uscc = new_registration_uscc(index)
        if RegistryRecord.objects.filter(uscc=uscc).exists():
            continue
        rows.append({"uscc": uscc, "name": name, "legal_representative": person,
                     "registered_capital": str(Decimal(capital)), "industry_code": code, "industry_name": industry,
                     "entity_type": "有限责任公司（自然人投资或控股）", "address": address, "region_code": unit,
                     "established_on": (today - dt.timedelta(days=days)).isoformat(), "status": "存续"})
    if rows:
        import_records(source_code="market_registry", rows=rows, actor="loaddemo")
    return len(rows)
