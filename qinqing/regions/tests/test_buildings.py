"""A street's building register: codes under the community's, all or nothing, every bad row named."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import Enterprise
from qinqing.regions.buildings import RegisterRejected, floor_code, import_buildings
from qinqing.regions.models import Region
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

HEADER = "community_code,building_no,building_name,address,floor,unit_no,unit_name\n"


def _register(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows)


def test_a_register_adds_buildings_floors_and_units_under_the_community_code():
    counts = import_buildings(text=_register("330108003001,007,新浦大厦,浦沿路1号,12,03,1203室",
                                             "330108003001,007,新浦大厦,浦沿路1号,B1,01,B101",
                                             "330108003001,007,新浦大厦,浦沿路1号,12,04,"),
                              street_code="330108003")
    assert counts == {"buildings": 1, "floors": 2, "units": 3}
    unit = Region.objects.get(code="33010800300100701203")
    assert (unit.level, unit.name) == (Region.Level.UNIT, "1203室")
    assert unit.path == "330100/330108/330108003/330108003001/330108003001007/330108003001007012/33010800300100701203/"
    assert unit.parent is not None and unit.parent.name == "12层"
    assert Region.objects.get(code="330108003001007901").name == "B1层"
    assert Region.objects.get(code="33010800300100701204").name == "04单元"
    street = Region.objects.get(code="330108003")
    assert Region.objects.subtree(street).filter(code="33010800300100701203").exists()


def test_importing_the_same_register_twice_renames_and_adds_nothing_twice():
    text = _register("330108003002,001,之江大楼,之江路1号,3,01,301室")
    import_buildings(text=text, street_code="330108003")
    before = Region.objects.count()
    import_buildings(text=text.replace("之江大楼", "之江科创大楼"), street_code="330108003")
    assert Region.objects.count() == before
    assert Region.objects.get(code="330108003002001").name == "之江科创大楼"


def test_every_bad_row_is_listed_and_nothing_is_written():
    before = Region.objects.count()
    text = _register(
        "330108003001,001,好大厦,路,1,01,101",        # fine
        "330108002001,001,长河的楼,路,1,01,101",      # a 长河 community, not in 浦沿
        "330108003001,1,好大厦,路,1,02,102",          # building number not 3 digits
        "330108003001,001,好大厦,路,1,01,101",        # the same unit again
        "330108003001,001,另一个名字,路,2,01,201",    # the same building, another name
        "330108003001,002,楼,路,300,01,",             # no such floor
        "330108003001,002,楼,路,2,1A,",               # bad unit number
        "999999999999,002,楼,路,2,01,",               # unknown community
    )
    with pytest.raises(RegisterRejected) as caught:
        import_buildings(text=text, street_code="330108003")
    named = {(e.line, e.field) for e in caught.value.errors}
    assert named == {(3, "community_code"), (4, "building_no"), (5, "unit_no"), (6, "building_name"), (7, "floor"),
                     (8, "unit_no"), (9, "community_code")}
    assert Region.objects.count() == before


def test_an_unknown_street_is_refused():
    with pytest.raises(RegisterRejected) as caught:
        import_buildings(text=_register("330108003001,001,楼,路,1,01,"), street_code="330108009")
    assert caught.value.errors[0].field == "street"


@pytest.mark.parametrize(("raw", "expected"), [("1", ("001", "1层")), ("199", ("199", "199层")),
                                               ("-2", ("902", "B2层")), ("b3", ("903", "B3层")),
                                               ("0", None), ("200", None), ("B0", None), ("1F", None)])
def test_floor_codes(raw, expected):
    assert floor_code(raw) == expected


def test_the_command_lists_every_bad_row_on_stderr(tmp_path: Path, capsys):
    path = tmp_path / "register.csv"
    path.write_text(_register("330108003001,001,楼,路,1,01,", "330108003001,001,楼,路,1,01,"), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("importbuildings", str(path), "--street", "330108003")
    assert "line 3: unit_no" in capsys.readouterr().err
    path.write_text(_register("330108003001,001,楼,路,1,01,"), encoding="utf-8")
    call_command("importbuildings", str(path), "--street", "330108003")
    assert Region.objects.filter(code="33010800300100100101").exists()


def test_the_demo_places_enterprises_in_units_of_real_buildings_and_the_park():
    park = Region.objects.get(code="330108001400")
    assert (park.name, park.parent.code) == ("滨江物联网产业园", "330108001")
    manufacturer = Enterprise.objects.get(uscc=demo_uscc(1))
    assert manufacturer.region is not None and manufacturer.region.level == Region.Level.UNIT
    names = [r.name for r in Region.objects.filter(code__in=[manufacturer.region.path.split("/")[i] for i in (2, 3)])]
    assert names == ["浦沿街道", "东信社区"]
    assert manufacturer.region.parent.parent.name == "东方通信科技园"
