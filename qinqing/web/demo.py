"""The demo city: regions, calendar, catalog, a registry, enterprises and staff."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import Authorisation, Department, Role, User
from qinqing.accounts.services import create_enterprise, create_staff, grant_authorisation
from qinqing.bundles.services import load_bundles
from qinqing.catalog.services import load_catalog
from qinqing.cockpit.demo import load_demo_visits
from qinqing.cockpit.services.modules import load_modules
from qinqing.core.calendar import seed_from_chinese_calendar
from qinqing.core.ids import generate_uscc
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.datahub.services import load_demo_records, load_sources
from qinqing.policies.demo import load_demo_policies
from qinqing.regions.buildings import load_demo_buildings
from qinqing.regions.services import load_regions
from qinqing.servicedesk.demo import load_desk_demo
from qinqing.web.demo_city import load_demo_city

DEMO_PASSWORD = "Qinqing@2026"


@dataclass(frozen=True)
class DemoEnterprise:
    name: str
    legal_representative: str
    capital: str
    industry_code: str
    industry_name: str
    entity_type: str
    address: str
    community: str
    established: str
    status: str = "存续"


ENTERPRISES = (
    DemoEnterprise("杭州滨江智联科技有限公司", "王晓明", "12000000", "I6513", "应用软件开发", "有限责任公司（自然人投资或控股）",
                   "浙江省杭州市滨江区长河街道江南大道3850号创新大厦12层", "330108002002", "2016-05-18"),
    DemoEnterprise("杭州浦沿物联网设备有限公司", "李芳", "30000000", "C3921", "通信终端设备制造", "有限责任公司（自然人投资或控股）",
                   "浙江省杭州市滨江区浦沿街道东信大道66号东方通信科技园3层301室", "33010800301500100301", "2012-09-03"),
    DemoEnterprise("杭州西兴餐饮管理有限公司", "陈建国", "1000000", "H6210", "正餐服务", "有限责任公司（自然人独资）",
                   "浙江省杭州市滨江区西兴街道江陵路88号", "330108001001", "2019-03-27"),
    DemoEnterprise("杭州钱塘江数字贸易有限公司", "赵敏", "50000000", "F5179", "其他机械设备及电子产品批发",
                   "有限责任公司（非自然人投资或控股的法人独资）", "浙江省杭州市滨江区长河街道滨安路1180号", "330108002005",
                   "2014-11-11"),
    DemoEnterprise("杭州长河生物医药有限公司", "孙立", "20000000", "C2720", "化学药品制剂制造", "其他有限责任公司",
                   "浙江省杭州市滨江区长河街道南环路3766号", "330108002010", "2011-06-30"),
    DemoEnterprise("杭州新启航信息技术有限公司", "周婷", "500000", "I6510", "软件开发", "有限责任公司（自然人独资）",
                   "浙江省杭州市滨江区西兴街道物联网街物联网产业园1号楼2层203室", "33010800140000100203", "2026-05-12"),
    DemoEnterprise("杭州旧港物流有限公司", "吴刚", "2000000", "G5430", "道路货物运输", "有限责任公司（自然人投资或控股）",
                   "浙江省杭州市滨江区浦沿街道浦沿路1000号", "330108003004", "2013-02-14", status="吊销"),
    DemoEnterprise("杭州云栖人力资源服务有限公司", "郑洁", "5000000", "L7262", "职业中介服务", "有限责任公司（自然人投资或控股）",
                   "浙江省杭州市滨江区长河街道越达巷79号", "330108002008", "2018-10-09"),
)


def demo_uscc(index: int) -> str:
    """A stable, valid code for the index-th demo enterprise."""
    return generate_uscc(division="330108", rng=random.Random(20201125 + index))


@transaction.atomic
def load_demo(*, city: int = 0) -> dict[str, int]:
    """Load everything a newcomer needs to try the platform; safe to run twice.

    `city`: also place that many synthetic enterprises across 滨江 (`demo_city`), with moves, deregistrations and
    payouts, so the cockpit is not empty; the test suite's demo leaves them out.
    """
    regions = load_regions()
    load_demo_buildings()  # 浦沿's office buildings and the IoT park, floors and units; enterprises sit in units
    seed_from_chinese_calendar(range(2024, 2027))
    load_sources()
    catalog = load_catalog()
    registry = Source.objects.get(code="market_registry")
    now = timezone.now()
    for index, ent in enumerate(ENTERPRISES):
        uscc = demo_uscc(index)
        RegistryRecord.objects.update_or_create(
            uscc=uscc,
            defaults={
                "source": registry, "name": ent.name, "legal_representative": ent.legal_representative,
                "registered_capital": Decimal(ent.capital), "industry_code": ent.industry_code,
                "industry_name": ent.industry_name, "entity_type": ent.entity_type, "address": ent.address,
                "region_code": ent.community[:12], "established_on": dt.date.fromisoformat(ent.established),
                "status": ent.status, "as_of": now,
            },
        )
        if not User.objects.filter(username=uscc).exists():
            # The registry holds the 12-digit statistical division (社区/园区); the platform places the account
            # down to its unit when the street's building register knows it (ent.community may be a unit code).
            create_enterprise(uscc=uscc, name=ent.name, password=DEMO_PASSWORD, region=ent.community,
                              phone=f"1385710{index:04d}")
    load_demo_records(uscc_for=demo_uscc)
    for dept in Department.objects.all():
        username = f"{dept.code.lower()}_reviewer"
        if not User.objects.filter(username=username).exists():
            create_staff(username=username, password=DEMO_PASSWORD, department=dept.code, roles=[Role.REVIEWER],
                         region="330100", display_name="审批员")
    bundles = load_bundles()
    _load_agents()
    _load_regional_staff()
    desk = load_desk_demo(DEMO_PASSWORD)
    policies = load_demo_policies(uscc_for=demo_uscc, enterprises=len(ENTERPRISES), password=DEMO_PASSWORD)
    modules = load_modules()  # after the region tree (and the buildings and the park) are in
    load_demo_visits()  # two fresh registrations of 10 M yuan or more: their visit prompts follow from the outbox
    # Last: the worker's consumers place these enterprises in the cockpit and match them against the policies
    # (免申即享 pays them) after `serve` has started, rather than `loaddemo` re-matching each one first.
    dense = load_demo_city(city)
    if not User.objects.filter(username="admin").exists():
        admin = User(username="admin", kind=User.Kind.STAFF, is_staff=True, is_superuser=True,
                     display_name="平台管理员")
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    return {"regions": regions, **catalog, "enterprises": len(ENTERPRISES), "bundles": bundles, "desk_staff": desk,
            **policies, "cockpit_modules": modules["cockpit_modules"], **dense}


AGENTS = (
    ("fgw_agent", "FGW", "项目代办员 林晓", "330108"),  # 政府替办 for industrial projects, 滨江区
    ("scjg_agent", "SCJG", "企业开办代办员 何静", "330108"),
)


def _load_agents() -> None:
    """Government agents (代办员); the demo manufacturer has authorised the project agent."""
    for username, department, name, region in AGENTS:
        if not User.objects.filter(username=username).exists():
            create_staff(username=username, password=DEMO_PASSWORD, department=department, roles=[Role.AGENT],
                         region=region, display_name=name)
    if not User.objects.filter(username="data_importer").exists():
        # Loads department exports into shared data (command importdata or POST /api/v1/datahub/…/records).
        create_staff(username="data_importer", password=DEMO_PASSWORD, department="SCJG",
                     roles=[Role.DATA_IMPORTER], region="330100", display_name="数据导入员")
    manufacturer = User.objects.filter(username=demo_uscc(1)).first()
    agent = User.objects.get(username="fgw_agent")
    if manufacturer is not None and not Authorisation.objects.filter(enterprise=manufacturer.enterprise,
                                                                     agent=agent).exists():
        grant_authorisation(granted_by=manufacturer, agent=agent, scope="industrial-project")


REGIONAL_STAFF = (
    # Each street's staff see the enterprises registered in their street, and their cases and licences.
    ("xixing_staff", Role.STREET_STAFF, "330108001", "西兴街道 · 企业服务专员"),
    ("changhe_staff", Role.STREET_STAFF, "330108002", "长河街道 · 企业服务专员"),
    ("puyan_staff", Role.STREET_STAFF, "330108003", "浦沿街道 · 企业服务专员"),
    ("binjiang_staff", Role.DISTRICT_STAFF, "330108", "滨江区 · 企业服务专员"),
    # The grid worker (网格员) of the IoT park and of 东信社区: visits to enterprises in their grid.
    ("iotpark_grid", Role.GRID_STAFF, "330108001400", "滨江物联网产业园 · 网格员"),
    ("dongxin_grid", Role.GRID_STAFF, "330108003015", "浦沿街道东信社区 · 网格员"),
)


def _load_regional_staff() -> None:
    """Street, grid and district staff (街道/网格/区 工作人员), scoped to their region's subtree."""
    for username, role, region, name in REGIONAL_STAFF:
        if not User.objects.filter(username=username).exists():
            create_staff(username=username, password=DEMO_PASSWORD, department=None, roles=[role], region=region,
                         display_name=name)
