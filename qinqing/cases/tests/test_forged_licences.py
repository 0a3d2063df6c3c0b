"""E-licences cannot be forged through the data hub: only the licence service writes them, one truth for status."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from qinqing.cases.models import Licence, Material
from qinqing.cases.services import revoke_licence
from qinqing.cases.tests.support import (
    approved_case,
    client_for,
    enterprise,
    required_material,
    reviewed_matter_with_required_materials,
    reviewer_of,
    submit,
)
from qinqing.datahub.adapters import TableAdapter, adapter_for
from qinqing.datahub.errors import PlatformSource
from qinqing.datahub.models import DataRecord, Source
from qinqing.datahub.queries import find_material_record, holdings_for
from qinqing.datahub.services import import_records, record_licence
from qinqing.datahub.tests.support import importer
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

FORGED = "FGW-2026-FORGED0001"


def _verify(number: str) -> str:
    response = client_for(enterprise(0)).get(f"/api/v1/licences/{number}/verify")
    assert response.status_code == 200
    return str(response.json()["status"])


def _data_page_status(index: int, number: str) -> str | None:
    for holding in holdings_for(enterprise(index), demo_uscc(index)):
        if holding.source.code == "licences":
            for record in holding.records:
                if record.key == number:
                    return str(record.data["status"])
    return None


def _licence_row(uscc: str, number: str, matter: str, *, status: str = "valid") -> dict[str, str]:
    return {"uscc": uscc, "number": number, "matter": matter, "title": "建设用地规划许可证",
            "issued_at": "2026-01-05", "valid_until": "2031-01-04", "status": status}


def _requiring_licence_of(matter_code: str):
    """A reviewed matter one of whose required materials is the platform's licence for `matter_code`."""
    matter = reviewed_matter_with_required_materials()
    requirement = required_material(matter)
    requirement.satisfied_by = f"licences:{matter_code}"
    requirement.save(update_fields=["satisfied_by"])
    return matter, requirement


def test_a_data_importer_may_not_post_a_made_up_licence():
    before = DataRecord.objects.filter(source__code="licences").count()
    response = client_for(importer()).post(
        "/api/v1/datahub/licences/records", json.dumps([_licence_row(demo_uscc(1), FORGED, "GHZY-001")]),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "platform_source"
    assert DataRecord.objects.filter(source__code="licences").count() == before
    assert _verify(FORGED) == "unknown"


def test_an_import_may_not_mark_a_real_licence_revoked():
    licence = approved_case(0).licence
    row = _licence_row(demo_uscc(0), licence.number, licence.matter.code, status="revoked")
    response = client_for(importer()).post("/api/v1/datahub/licences/records", json.dumps([row]),
                                           content_type="application/json")
    assert response.status_code == 403
    assert _verify(licence.number) == "valid"
    assert _data_page_status(0, licence.number) == "valid"


def test_the_import_service_and_command_refuse_the_licences_source(tmp_path):
    with pytest.raises(PlatformSource):
        import_records(source_code="licences", rows=[_licence_row(demo_uscc(1), FORGED, "GHZY-001")], actor="x")
    with pytest.raises(PlatformSource):
        import_records(source_code=" licences ", rows=[], actor="x")
    path = tmp_path / "licences.json"
    path.write_text(json.dumps([_licence_row(demo_uscc(1), FORGED, "GHZY-001")]), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("importdata", "licences", str(path))
    assert not DataRecord.objects.filter(key=FORGED).exists()


def test_no_adapter_may_be_configured_for_the_licences_source():
    source = Source.objects.get(code="licences")
    override = override_settings(QINQING_DATAHUB_ADAPTERS={"licences": "qinqing.datahub.adapters.TableAdapter"})
    with override, pytest.raises(ImproperlyConfigured):
        adapter_for(source)
    assert type(adapter_for(source)) is TableAdapter


def test_a_forged_licence_record_never_satisfies_a_material():
    # A record in the licences source with no licence behind it, as an import wrote before the fix.
    record_licence(uscc=demo_uscc(1), number=FORGED, matter_code="GHZY-001", title="建设用地规划许可证",
                   issued_at=timezone.now(), valid_until=dt.date(2031, 1, 1), status="valid")
    assert find_material_record(demo_uscc(1), "licences:GHZY-001") is None
    matter, requirement = _requiring_licence_of("GHZY-001")
    case = submit(enterprise(1), matter)
    assert not Material.objects.filter(case=case, requirement=requirement).exists()
    assert not Material.objects.filter(case=case, data_reference=FORGED).exists()


def test_a_valid_licence_the_platform_issued_satisfies_the_material():
    licence = approved_case(0).licence
    matter, requirement = _requiring_licence_of(licence.matter.code)
    case = submit(enterprise(0), matter)
    material = Material.objects.get(case=case, requirement=requirement)
    assert material.data_source == "licences" and material.data_reference == licence.number
    assert material.data_source_name == "亲清在线电子证照"


def test_a_revoked_expired_or_tampered_licence_satisfies_no_material():
    licence = approved_case(0).licence
    matter, requirement = _requiring_licence_of(licence.matter.code)
    Licence.objects.filter(pk=licence.pk).update(payload={**licence.payload, "uscc": demo_uscc(1)})
    assert not Material.objects.filter(case=submit(enterprise(0), matter), requirement=requirement).exists()

    Licence.objects.filter(pk=licence.pk).update(payload=licence.payload,
                                                 valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert not Material.objects.filter(case=submit(enterprise(0), matter), requirement=requirement).exists()

    Licence.objects.filter(pk=licence.pk).update(valid_until=None)
    revoke_licence(licence=licence, actor=reviewer_of(licence.matter), reason="以欺骗手段取得")
    assert not Material.objects.filter(case=submit(enterprise(0), matter), requirement=requirement).exists()


def test_the_data_page_and_verification_agree_on_a_licence_status():
    licence = approved_case(0).licence
    assert _verify(licence.number) == _data_page_status(0, licence.number) == "valid"
    # An expired licence: issued (signed) with a validity that has ended. Editing only the column would be a
    # tampering, which verification reports as invalid (see test_licence_verification.py).
    from qinqing.cases.signing import sign

    ended = timezone.localdate() - dt.timedelta(days=1)
    payload = {**licence.payload, "valid_until": ended.isoformat()}
    Licence.objects.filter(pk=licence.pk).update(valid_until=ended, payload=payload, signature=sign(payload))
    record_licence(uscc=demo_uscc(0), number=licence.number, matter_code=licence.matter.code, title=licence.title,
                   issued_at=licence.issued_at, valid_until=timezone.localdate() - dt.timedelta(days=1),
                   status="valid")
    assert _verify(licence.number) == _data_page_status(0, licence.number) == "expired"
    payload = {**payload, "valid_until": None}
    Licence.objects.filter(pk=licence.pk).update(valid_until=None, payload=payload, signature=sign(payload))
    licence.refresh_from_db()
    revoke_licence(licence=licence, actor=reviewer_of(licence.matter), reason="撤销")
    assert _verify(licence.number) == _data_page_status(0, licence.number) == "revoked"


def test_the_migration_drops_forged_records_and_restores_tampered_statuses():
    import importlib

    migration = importlib.import_module("qinqing.cases.migrations.0007_sec_data_licence_records")
    licence = approved_case(0).licence
    record_licence(uscc=demo_uscc(1), number=FORGED, matter_code="GHZY-001", title="建设用地规划许可证",
                   issued_at=timezone.now(), valid_until=None, status="valid")
    DataRecord.objects.filter(source__code="licences", key=licence.number).update(
        data={"number": licence.number, "status": "revoked"})
    migration.rebuild_licence_records(apps, None)
    assert not DataRecord.objects.filter(key=FORGED).exists()
    assert _data_page_status(0, licence.number) == "valid"
    assert DataRecord.objects.filter(source__code="licences").count() == Licence.objects.count()


def test_the_refusal_is_translated_for_english_clients():
    response = client_for(importer(), **{"Accept-Language": "en"}).post(
        "/api/v1/datahub/licences/records", json.dumps([]), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"] == ("The platform's own e-licences are written only by the licence service; "
                                         "they cannot be imported.")
