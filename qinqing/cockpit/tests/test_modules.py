"""Street modules as data: the spec is checked on save with one clear message per problem, and evaluated over
the cockpit's read models for the viewed node's subtree (buildings, floors and units made here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from qinqing.accounts.services import issue_token
from qinqing.cockpit.models import CockpitModule, EnterpriseState
from qinqing.cockpit.modules import evaluate, months_back, validate_spec
from qinqing.cockpit.services.modules import MODULES_JSON, load_modules
from qinqing.cockpit.tests.support import PUYAN, XIXING, catch_up, node, staff
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("spec", "needle"), [
    ([], "JSON"),
    ({"source": "sql"}, "source"),
    ({"source": "breakdown", "dimension": "colour"}, "dimension"),
    ({"source": "breakdown", "dimension": "tag", "keys": ["a", "a"]}, "keys"),
    ({"source": "breakdown", "dimension": "tag", "chart": "radar"}, "chart"),
    ({"source": "breakdown", "dimension": "tag", "sql": "drop"}, "sql"),
    ({"source": "nodes", "levels": ["building"], "measures": []}, "measures"),
    ({"source": "nodes", "levels": ["building"], "measures": ["enterprises", "profit"]}, "profit"),
    ({"source": "nodes", "levels": ["attic"], "measures": ["enterprises"]}, "levels"),
    ({"source": "nodes", "levels": ["building"], "measures": ["enterprises"], "limit": 0}, "limit"),
    ({"source": "nodes", "levels": ["building"], "measures": ["enterprises"], "limit": True}, "limit"),
    ({"source": "nodes", "levels": ["building"], "measures": ["enterprises"], "sort": "-units"}, "sort"),
    ({"source": "enterprises", "group_by": "colour", "measures": ["enterprises"]}, "group_by"),
    ({"source": "enterprises", "group_by": "industry", "measures": ["enterprises"], "filters": {"tag": "famous"}},
     "filters.tag"),
    ({"source": "enterprises", "group_by": "industry", "measures": ["enterprises"], "filters": {"city": "x"}},
     "city"),
    ({"source": "trend", "measures": ["registered"], "months": 99}, "months"),
    ({"source": "trend", "measures": ["registered"], "interval": "year"}, "interval"),
])
def test_a_bad_spec_is_named_key_by_key(spec: Any, needle: str) -> None:
    errors = validate_spec(spec)
    assert errors and any(needle in e for e in errors), errors


def test_saving_a_bad_module_is_refused_with_every_problem_and_writes_nothing() -> None:
    module = CockpitModule(key="bad", title="坏模块", region=node(PUYAN),
                           spec={"source": "nodes", "levels": ["attic"], "measures": ["profit"], "limit": 0})
    with pytest.raises(ValidationError) as caught:
        module.save()
    messages = caught.value.message_dict["spec"]
    assert len(messages) == 3, messages
    assert not CockpitModule.objects.filter(key="bad").exists()


def test_the_shipped_modules_are_sound_and_load_once() -> None:
    import json

    for item in json.loads(MODULES_JSON.read_text(encoding="utf-8")):
        assert validate_spec(item["spec"]) == [], item["key"]
    before = CockpitModule.objects.count()
    result = load_modules()
    assert result["cockpit_modules"] == 0  # the demo loaded them already; an edited one is left alone
    assert CockpitModule.objects.count() == before
    keys = set(CockpitModule.objects.values_list("key", flat=True))
    assert {"xixing-hightech-key", "puyan-building-economy"} <= keys
    if not Region.objects.filter(code="330108001400").exists():
        assert "iotpark-industry-trends" in result["cockpit_modules_skipped"]


def test_a_node_sees_the_modules_of_its_own_node_and_above_only() -> None:
    puyan_keys = set(CockpitModule.objects.for_node(node(PUYAN)).values_list("key", flat=True))
    assert "puyan-building-economy" in puyan_keys and "xixing-hightech-key" not in puyan_keys
    community = Region.objects.filter(parent__code=PUYAN).order_by("code").first()
    assert community is not None
    assert "puyan-building-economy" in set(CockpitModule.objects.for_node(community).values_list("key", flat=True))


# ----------------------------------------------------------------------------- evaluation


def _tower(parent: Region) -> dict[str, Region]:
    """A building with two floors of two units each, under the given node."""
    building = Region.objects.create(code=f"{parent.code}T01", name="测试大厦", level="building", parent=parent,
                                     path=f"{parent.path}{parent.code}T01/")
    made = {"building": building}
    for f in (1, 2):
        floor = Region.objects.create(code=f"{building.code}F{f}", name=f"{f}层", level="floor", parent=building,
                                      path=f"{building.path}{building.code}F{f}/")
        made[f"floor{f}"] = floor
        for u in (1, 2):
            code = f"{floor.code}U{u}"
            made[f"unit{f}{u}"] = Region.objects.create(code=code, name=f"{f}0{u}室", level="unit", parent=floor,
                                                         path=f"{floor.path}{code}/")
    return made


def _place(uscc_prefix: str, unit: Region, n: int, *, headcount: int, capital: str, tags: str = "") -> None:
    now = timezone.now()
    for i in range(n):
        EnterpriseState.objects.create(
            uscc=f"{uscc_prefix}{i:02d}"[:18], name=f"楼宇测试企业{uscc_prefix}{i}", region=unit, path=unit.path,
            status="active", industry="I", size="small", capital=Decimal(capital), capital_band="1m_5m", tags=tags,
            headcount=headcount, established_on=dt.date(2020, 1, 1), first_seen_at=now, updated_at=now)


def _building_module() -> CockpitModule:
    return CockpitModule.objects.get(key="puyan-building-economy", region__code=PUYAN)


def test_building_economy_steps_from_buildings_to_floors_to_units() -> None:
    catch_up()
    community = Region.objects.filter(parent__code=PUYAN).order_by("code").first()
    assert community is not None
    tower = _tower(community)
    _place("91330108TESTA", tower["unit11"], 2, headcount=10, capital="1000000.50", tags=",high_tech,")
    _place("91330108TESTB", tower["unit21"], 1, headcount=5, capital="2000000")
    module = _building_module()

    street = evaluate(module, node(PUYAN))
    assert street["level"] == "building"
    row = next(r for r in street["rows"] if r["code"] == tower["building"].code)
    assert (row["units"], row["occupancy"], row["headcount"], row["capital"]) == (4, "50.0", 25, "4000001.00")
    assert {c["key"]: c["unit"] for c in street["columns"]}["occupancy"] == "%"

    floors = evaluate(module, tower["building"])
    assert floors["level"] == "floor"
    assert [(r["label"], r["units"], r["occupancy"], r["headcount"]) for r in floors["rows"]] == [
        ("1层", 2, "50.0", 20), ("2层", 2, "50.0", 5)]  # sorted by enterprises, most first

    units = evaluate(module, tower["floor1"])
    assert units["level"] == "unit"
    assert [(r["label"], r["units"], r["occupancy"]) for r in units["rows"]] == [("101室", 1, "100.0"),
                                                                                ("102室", 1, "0.0")]
    at_unit = evaluate(module, tower["unit12"])
    assert at_unit["rows"] == [] and at_unit["empty"]


def test_the_high_tech_module_counts_by_tag_and_industry_within_the_node() -> None:
    catch_up()
    community = Region.objects.filter(parent__code=XIXING).order_by("code").first()
    assert community is not None
    module = CockpitModule.objects.get(key="xixing-hightech-key", region__code=XIXING)
    before = {r["label"]: r["enterprises"] for r in evaluate(module, node(XIXING))["rows"]}
    tower = _tower(community)
    _place("91330108TESTX", tower["unit11"], 3, headcount=7, capital="500000", tags=",above_scale,high_tech,")
    at_tower = evaluate(module, tower["building"])
    rows = {r["label"]: r for r in at_tower["rows"]}
    assert rows["高新技术企业"]["enterprises"] == 3 and rows["高新技术企业"]["headcount"] == 21
    assert rows["高新技术企业"]["capital"] == "1500000.00"
    assert rows["规上企业"]["enterprises"] == 3
    assert rows["专精特新企业"]["enterprises"] == 0
    after = {r["label"]: r["enterprises"] for r in evaluate(module, node(XIXING))["rows"]}
    assert after["高新技术企业"] == before.get("高新技术企业", 0) + 3
    industries = CockpitModule.objects.get(key="xixing-hightech-industries")
    by_industry = evaluate(industries, tower["building"])
    assert [(r["label"], r["enterprises"]) for r in by_industry["rows"]] == [("I 信息传输、软件和信息技术服务业", 3)]
    # The tower is in 西兴: 浦沿's figures are its own enterprises only.
    in_puyan = EnterpriseState.objects.filter(path__startswith=node(PUYAN).path, tags__contains=",high_tech,",
                                              status__in=["active", "abnormal"]).count()
    assert sum(r["enterprises"] for r in evaluate(industries, node(PUYAN))["rows"]) == in_puyan


def test_a_trend_module_answers_one_row_per_month() -> None:
    module = CockpitModule(key="t", title="趋势", region=node(PUYAN),
                           spec={"source": "trend", "measures": ["registered", "payouts_amount"], "months": 6})
    today = dt.date(2026, 12, 7)
    result = evaluate(module, node(PUYAN), today=today)
    assert [r["label"] for r in result["rows"]] == [f"2026-{m:02d}-01" for m in range(7, 13)]
    assert [c["unit"] for c in result["columns"]] == ["家", "元"]
    assert months_back(dt.date(2026, 2, 15), 3) == dt.date(2025, 12, 1)


def test_the_module_api_answers_for_the_viewers_node_and_404_outside() -> None:
    puyan, changhe = staff("cweb_puyan", PUYAN), staff("cweb_changhe", "330108002")
    ok = Client(headers={"Authorization": f"Bearer {issue_token(user=puyan)[0]}"})
    response = ok.get(f"/api/v1/cockpit/{PUYAN}/modules/puyan-building-economy")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "楼宇经济" and body["region"] == PUYAN and body["columns"][0]["unit"] == "家"
    assert ok.get(f"/api/v1/cockpit/{PUYAN}/modules/no-such-module").status_code == 404
    assert ok.get(f"/api/v1/cockpit/{XIXING}/modules/xixing-hightech-key").status_code == 404
    other = Client(headers={"Authorization": f"Bearer {issue_token(user=changhe)[0]}"})
    assert other.get(f"/api/v1/cockpit/{PUYAN}/modules/puyan-building-economy").status_code == 404
