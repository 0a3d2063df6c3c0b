"""Tax paid (企业年报 `tax_paid`) by building, floor and unit: carried by the consumer and the rebuild alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qinqing.cockpit import queries
from qinqing.cockpit.aggregates import TAX, snapshot
from qinqing.cockpit.models import CockpitModule, EnterpriseState, NodeTotal
from qinqing.cockpit.modules import evaluate
from qinqing.cockpit.services.rebuild import rebuild_cockpit
from qinqing.datahub.services import import_records
from qinqing.regions.models import Region

from .support import BINJIANG, PUYAN, catch_up, change_registry, fresh_uscc, new_registration, node

pytestmark = pytest.mark.django_db


def _tower(parent: Region) -> dict[str, Region]:
    """A building with two floors of one unit each (numeric codes, as a building register gives them)."""
    building = Region.objects.create(code=f"{parent.code}9901", name="税源测试大厦", level="building", parent=parent,
                                     path=f"{parent.path}{parent.code}9901/")
    made = {"building": building}
    for f in (1, 2):
        floor = Region.objects.create(code=f"{building.code}0{f}", name=f"{f}层", level="floor", parent=building,
                                      path=f"{building.path}{building.code}0{f}/")
        unit = Region.objects.create(code=f"{floor.code}01", name=f"{f}01室", level="unit", parent=floor,
                                     path=f"{floor.path}{floor.code}01/")
        made[f"floor{f}"], made[f"unit{f}"] = floor, unit
    return made


def _annual(uscc: str, year: int, tax: str) -> None:
    import_records(source_code="enterprise_annual", actor="test", rows=[
        {"uscc": uscc, "report_no": f"NB{year}-{uscc}", "year": year, "revenue": "5000000", "tax_paid": tax}])


def _row(result: dict[str, object], code: str) -> dict[str, object]:
    rows = result["rows"]
    assert isinstance(rows, list)
    return next(r for r in rows if r.get("code") == code)


def test_tax_by_building_floor_and_unit_follows_reports_moves_and_closures_and_survives_a_rebuild() -> None:
    catch_up()
    community = Region.objects.filter(parent__code=PUYAN).order_by("code").first()
    assert community is not None
    tower = _tower(community)
    street_before = queries.summary(node(PUYAN))
    a, b, c = fresh_uscc(31), fresh_uscc(32), fresh_uscc(33)
    new_registration(a, region=tower["unit1"].code, name="杭州税源甲科技有限公司")
    new_registration(b, region=tower["unit1"].code, name="杭州税源乙科技有限公司")
    new_registration(c, region=tower["unit2"].code, name="杭州税源丙科技有限公司")
    _annual(a, 2024, "999.99")
    _annual(a, 2025, "1200.50")  # the latest report counts
    _annual(b, 2025, "800")
    _annual(c, 2025, "300.25")
    catch_up()

    state = EnterpriseState.objects.get(uscc=a)
    assert (state.tax_paid, state.tax_year) == (Decimal("1200.50"), "2025")
    street = queries.summary(node(PUYAN))
    assert street.tax_paid == street_before.tax_paid + Decimal("2300.75")
    assert street.tax_enterprises == street_before.tax_enterprises + 3
    assert queries.summary(node(BINJIANG)).tax_paid >= street.tax_paid

    module = CockpitModule.objects.get(key="puyan-building-economy", region__code=PUYAN)
    at_street = evaluate(module, node(PUYAN))
    columns = {col["key"]: col for col in at_street["columns"]}
    assert columns["tax_paid"]["unit"] == "元" and "企业年度经营与认定信息" in columns["tax_paid"]["source"]
    assert _row(at_street, tower["building"].code)["tax_paid"] == "2300.75"
    assert _row(at_street, tower["building"].code)["tax_enterprises"] == 3
    floors = evaluate(module, tower["building"])
    assert [(r["label"], r["tax_paid"]) for r in floors["rows"]] == [("1层", "2000.50"), ("2层", "300.25")]
    units = evaluate(module, tower["floor1"])
    assert _row(units, tower["unit1"].code)["tax_paid"] == "2000.50"

    # A new report replaces the figure, a move carries it, a deregistration takes it out of the sums.
    _annual(b, 2026, "100.00")
    change_registry({**_registry(a), "region_code": tower["unit2"].code})
    change_registry({**_registry(c), "status": "注销"})
    catch_up()
    floors = evaluate(module, tower["building"])
    assert {r["label"]: r["tax_paid"] for r in floors["rows"]} == {"1层": "100.00", "2层": "1200.50"}
    assert queries.summary(tower["building"]).tax_paid == Decimal("1300.50")
    assert queries.summary(tower["building"]).tax_enterprises == 2

    kept = snapshot()
    assert any(row[1] == TAX for row in kept["totals"])
    rebuild_cockpit()
    assert snapshot() == kept
    assert NodeTotal.objects.get(node=tower["building"].code, measure=TAX).amount_fen == 130050


def _registry(uscc: str) -> dict[str, object]:
    from qinqing.datahub.models import RegistryRecord

    from .support import REGISTRY_FIELDS

    record = RegistryRecord.objects.get(uscc=uscc)
    return {"uscc": uscc, **{f: getattr(record, f) for f in REGISTRY_FIELDS}}
