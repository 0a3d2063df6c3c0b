"""The data hub API: sources, batch imports by data importers, what government holds on an enterprise."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.datahub.tests.support import (
    client_for,
    csv_body,
    enterprise,
    importer,
    land_row,
    new_uscc,
    registry_row,
    reviewer,
    staff,
)

pytestmark = pytest.mark.django_db


def _post_csv(client, source: str, body: bytes):
    return client.post(f"/api/v1/datahub/{source}/records", body, content_type="text/csv")


def _post_json(client, source: str, payload):
    return client.post(f"/api/v1/datahub/{source}/records", json.dumps(payload), content_type="application/json")


def test_sources_lists_every_source_with_department_fields_and_count():
    response = client_for(enterprise(0)).get("/api/v1/datahub/sources")
    assert response.status_code == 200
    by_code = {s["code"]: s for s in response.json()}
    assert set(by_code) == set(Source.objects.values_list("code", flat=True))
    land = by_code["land_contracts"]
    assert land["department"] == "杭州市规划和自然资源局"
    assert land["department_code"] == "GHZY"
    assert land["records"] == DataRecord.objects.filter(source__code="land_contracts").count() >= 3
    assert {"name": "area", "label": "出让面积（平方米）", "label_en": "Area (m²)", "type": "decimal",
            "required": True, "max_length": None, "choices": []} in land["fields"]
    assert by_code["market_registry"]["records"] == RegistryRecord.objects.count()


def test_sources_need_a_login():
    assert Client().get("/api/v1/datahub/sources").status_code == 401


def test_an_enterprise_or_a_reviewer_without_the_role_may_not_import():
    body = csv_body([land_row(new_uscc(20), "T-API-0")])
    for user in (enterprise(0), reviewer("GHZY")):
        response = _post_csv(client_for(user), "land_contracts", body)
        assert response.status_code == 403
        assert response.json()["code"] == "data_importer_only"
    assert not DataRecord.objects.filter(key="T-API-0").exists()


def test_a_data_importer_imports_csv_and_json():
    client = client_for(importer())
    response = _post_csv(client, "land_contracts", csv_body([land_row(new_uscc(21), "T-API-1")]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["source"], body["rows"], body["created"], body["updated"]) == ("land_contracts", 1, 1, 0)
    assert body["seconds"] >= 0 and body["as_of"]
    response = _post_json(client, "land_contracts", {"records": [land_row(new_uscc(21), "T-API-1", area="1")]})
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["updated"]) == (0, 1)
    response = _post_json(client, "market_registry", [registry_row(new_uscc(22))])
    assert response.status_code == 200 and response.json()["created"] == 1


def test_a_superuser_may_import():
    admin = staff("test_admin", department=None)
    admin.is_superuser = True
    admin.save()
    response = _post_csv(client_for(admin), "land_contracts", csv_body([land_row(new_uscc(23), "T-API-2")]))
    assert response.status_code == 200


def test_bad_rows_answer_400_with_every_line_and_field_and_nothing_is_written():
    rows = [land_row(new_uscc(24), "T-API-3"), land_row("not a code", "T-API-4", area="lots")]
    response = _post_csv(client_for(importer()), "land_contracts", csv_body(rows))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected"
    assert set(body["errors"]) == {"3.uscc", "3.area"}
    assert "2" in body["detail"]
    assert not DataRecord.objects.filter(key__in=["T-API-3", "T-API-4"]).exists()


def test_a_malformed_json_body_is_400():
    response = client_for(importer()).post("/api/v1/datahub/land_contracts/records", b"{not json",
                                           content_type="application/json")
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]


def test_an_unknown_source_is_404_and_another_media_type_is_415():
    client = client_for(importer())
    assert _post_csv(client, "no_such_source", b"uscc\n").status_code == 404
    response = client.post("/api/v1/datahub/land_contracts/records", b"x", content_type="application/xml")
    assert response.status_code == 415


def test_a_csv_larger_than_the_site_wide_upload_limit_is_accepted_here(settings):
    rows = [land_row(new_uscc(5000 + i), f"T-BIG-{i:05d}", location="滨江区浦沿街道" + "测试地块" * 40)
            for i in range(5000)]
    body = csv_body(rows)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = _post_csv(client_for(importer()), "land_contracts", body)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 5000


@override_settings(QINQING_DATAHUB_MAX_IMPORT_BYTES=1024)
def test_a_body_over_the_import_limit_is_413():
    rows = [land_row(new_uscc(30 + i), f"T-LIM-{i}") for i in range(20)]
    response = _post_csv(client_for(importer()), "land_contracts", csv_body(rows))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not DataRecord.objects.filter(key__startswith="T-LIM-").exists()


def test_an_enterprise_reads_what_government_holds_on_itself():
    me = enterprise(0)
    response = client_for(me).get(f"/api/v1/datahub/enterprises/{me.enterprise.uscc}")
    assert response.status_code == 200
    body = response.json()
    assert body["uscc"] == me.enterprise.uscc
    sources = {s["code"]: s for s in body["sources"]}
    assert {"market_registry", "land_contracts", "tax_registration", "social_insurance", "housing_fund",
            "qualifications"} <= set(sources)
    land = sources["land_contracts"]
    assert land["department"] == "杭州市规划和自然资源局"
    assert land["records"][0]["key"] == "3301082026A21035"
    assert land["records"][0]["data"]["use"] == "工业用地"
    assert sources["market_registry"]["records"][0]["data"]["name"] == "杭州滨江智联科技有限公司"


def test_an_enterprise_asking_for_another_enterprise_gets_404():
    response = client_for(enterprise(0)).get(f"/api/v1/datahub/enterprises/{enterprise(1).enterprise.uscc}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_invalid_or_unknown_code_is_404_even_for_staff():
    client = client_for(reviewer("SCJG"))
    assert client.get("/api/v1/datahub/enterprises/not-a-code").status_code == 404
    assert client.get(f"/api/v1/datahub/enterprises/{new_uscc(99)}").status_code == 404


def test_english_clients_get_english_department_names():
    me = enterprise(0)
    response = client_for(me, **{"Accept-Language": "en"}).get(f"/api/v1/datahub/enterprises/{me.enterprise.uscc}")
    land = next(s for s in response.json()["sources"] if s["code"] == "land_contracts")
    assert land["department"] == "Hangzhou Bureau of Planning and Natural Resources"
