"""Materials satisfied by shared data: loaded from the data files, validated, published in the guide API."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from qinqing.catalog import services
from qinqing.catalog.models import MaterialRequirement, Matter, satisfied_by_problem
from qinqing.catalog.services import CatalogDataError, load_catalog, matter_rows

pytestmark = pytest.mark.django_db


def test_loaded_materials_carry_their_satisfied_by_from_the_data_file():
    expected = {
        (row["code"], m["code"]): m.get("satisfied_by", "") for row in matter_rows() for m in row["materials"]
    }
    loaded = {(r.matter.code, r.code): r.satisfied_by for r in MaterialRequirement.objects.select_related("matter")}
    assert loaded == expected
    assert {"form", "market_registry", "land_contracts", "licences:GHZY-001"} <= set(loaded.values())


def test_the_construction_permit_takes_upstream_licences_instead_of_uploads():
    permit = Matter.objects.get(code="JW-002")
    by_code = {r.code: r for r in permit.materials.all()}
    assert by_code["planning_permit"].satisfied_by == "licences:GHZY-003"
    assert by_code["title_certificate"].satisfied_by == "licences:GHZY-002"
    assert by_code["construction_contract"].needs_upload
    assert not by_code["planning_permit"].needs_upload


def test_matter_guide_publishes_satisfied_by_for_every_material():
    body = Client().get("/api/v1/matters/GHZY-001").json()
    published = {m["code"]: m["satisfied_by"] for m in body["materials"]}
    assert published == dict(Matter.objects.get(code="GHZY-001").materials.values_list("code", "satisfied_by"))
    assert published["land_contract"] == ""
    assert published["planning_conditions"] == "land_contracts"


@pytest.mark.parametrize("value", ["", "form", "market_registry", "tax_registration", "licences:SCJG-002"])
def test_known_values_are_accepted(value):
    assert satisfied_by_problem(value, {"SCJG-002"}) == ""


@pytest.mark.parametrize("value", ["registry", "licence:SCJG-002", "licences:", "licences:scjg-2",
                                   "licences:NOPE-999", "FORM"])
def test_unknown_values_are_refused(value):
    assert satisfied_by_problem(value, {"SCJG-002"})


def test_the_admin_form_refuses_an_unknown_prefix_and_a_licence_of_no_matter():
    requirement = MaterialRequirement.objects.select_related("matter").first()
    requirement.satisfied_by = "somewhere_else"
    with pytest.raises(ValidationError):
        requirement.full_clean()
    requirement.satisfied_by = "licences:NOPE-999"
    with pytest.raises(ValidationError):
        requirement.full_clean()
    requirement.satisfied_by = "licences:GHZY-001"
    requirement.full_clean()


def test_load_refuses_an_unknown_satisfied_by_and_changes_nothing(monkeypatch):
    rows = copy.deepcopy(matter_rows())
    rows[0]["materials"] = [{"code": "x", "name": "某材料", "required": True, "satisfied_by": "elsewhere:thing"}]
    monkeypatch.setattr(services, "matter_rows", lambda: rows)
    before = MaterialRequirement.objects.count()
    with pytest.raises(CatalogDataError, match="elsewhere:thing"):
        load_catalog()
    assert MaterialRequirement.objects.count() == before


def test_load_refuses_a_licence_of_a_matter_not_in_the_catalog(monkeypatch):
    rows = copy.deepcopy(matter_rows())
    rows[0]["materials"] = [{"code": "x", "name": "某证照", "satisfied_by": "licences:NOPE-999"}]
    monkeypatch.setattr(services, "matter_rows", lambda: rows)
    with pytest.raises(CatalogDataError, match="NOPE-999"):
        load_catalog()
