"""Prefill: what government already holds about the calling enterprise, with the source of each value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qinqing.cases.tests.support import client_for, enterprise, non_editable_name_field, reviewer_of
from qinqing.catalog.models import Matter
from qinqing.datahub.models import DataRecord, RegistryRecord
from qinqing.datahub.queries import facts_for

pytestmark = pytest.mark.django_db


def test_prefill_returns_the_enterprises_own_registry_values_with_their_source():
    matter, name_field = non_editable_name_field()
    user = enterprise(0)
    record = RegistryRecord.objects.get(uscc=user.enterprise.uscc)
    response = client_for(user).get(f"/api/v1/matters/{matter.code}/prefill")
    assert response.status_code == 200
    body = response.json()
    assert body["data"][name_field.key] == record.name
    assert body["sources"][name_field.key]["source_name"] == record.source.name
    assert body["sources"][name_field.key]["source"] == record.source.code
    assert body["sources"][name_field.key]["as_of"]
    assert body["editable"][name_field.key] is False
    prefilled = {f.key for f in matter.fields.exclude(prefill="")}
    assert set(body["data"]) == prefilled
    assert set(body["sources"]) == prefilled


def test_prefill_never_shows_another_enterprises_record():
    matter, name_field = non_editable_name_field()
    mine, theirs = enterprise(1), enterprise(0)
    body = client_for(mine).get(f"/api/v1/matters/{matter.code}/prefill").json()
    assert body["data"][name_field.key] == RegistryRecord.objects.get(uscc=mine.enterprise.uscc).name
    assert RegistryRecord.objects.get(uscc=theirs.enterprise.uscc).name not in body["data"].values()


def test_prefill_values_use_the_forms_own_types():
    user = enterprise(0)
    facts = facts_for(user.enterprise.uscc)
    matter = Matter.objects.online().filter(fields__prefill="registry.registered_capital").first()
    if matter is None:
        pytest.skip("no form prefills the registered capital")
    field = matter.fields.get(prefill="registry.registered_capital")
    body = client_for(user).get(f"/api/v1/matters/{matter.code}/prefill").json()
    assert body["data"][field.key] == str(facts["registry.registered_capital"].value.quantize(Decimal("0.01")))


def test_prefill_is_refused_to_staff_with_403():
    matter, _ = non_editable_name_field()
    response = client_for(reviewer_of(matter)).get(f"/api/v1/matters/{matter.code}/prefill")
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_only"


def test_prefill_of_an_unknown_matter_is_404():
    response = client_for(enterprise(0)).get("/api/v1/matters/NO-SUCH-001/prefill")
    assert response.status_code == 404


def test_prefill_for_an_enterprise_no_source_holds_is_its_account_and_names_what_is_missing():
    matter, field = non_editable_name_field()
    user = enterprise(0)
    RegistryRecord.objects.filter(uscc=user.enterprise.uscc).delete()
    DataRecord.objects.filter(uscc=user.enterprise.uscc).delete()
    body = client_for(user).get(f"/api/v1/matters/{matter.code}/prefill").json()
    assert body["data"][field.key] == user.enterprise.name
    assert {s["source"] for s in body["sources"].values()} == {"platform_account"}
    assert field.display_label not in [label for m in body["missing"] for label in m["fields"]]
