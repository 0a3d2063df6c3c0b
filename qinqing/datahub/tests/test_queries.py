"""Facts, records and materials government holds about an enterprise, across every source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from qinqing.datahub.models import Source
from qinqing.datahub.queries import all_fact_names, fact_values, facts_for, find_material_record, records_for
from qinqing.datahub.services import import_records, record_licence
from qinqing.datahub.tests.support import land_row
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


def _at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day))


def test_facts_come_from_every_source_with_their_provenance_and_types():
    facts = facts_for(demo_uscc(0))
    assert facts["registry.name"].value == "杭州滨江智联科技有限公司"
    assert facts["registry.years_established"].value >= 10
    assert facts["land.area"].value == Decimal("20368.00")
    assert facts["land.use"].value == "工业用地"
    assert facts["land.signed_on"].value == dt.date(2026, 3, 18)
    assert facts["land.term_years"].value == 50
    assert facts["land.area"].source == "land_contracts"
    assert facts["land.area"].source_name == "国有建设用地使用权出让合同"
    assert facts["tax.taxpayer_id"].value == demo_uscc(0)
    assert facts["social.insured_count"].value == 186
    assert facts["fund.deposit_ratio"].value == Decimal("12.00")
    assert facts["qualification.level"].value == "二级"
    assert not any(name.startswith("licence.") for name in facts)
    nested = fact_values(facts)
    assert nested["land"]["signed_on"] == "2026-03-18"


def test_the_new_enterprise_has_no_social_insurance_or_housing_fund_facts():
    facts = facts_for(demo_uscc(5))
    assert "registry.name" in facts and "tax.taxpayer_type" in facts
    assert not any(name.startswith(("social.", "fund.", "land.")) for name in facts)


def test_facts_use_the_most_recent_record_of_a_source():
    uscc = demo_uscc(3)
    import_records(source_code="land_contracts", rows=[land_row(uscc, "T-LATE", area="30000")], actor="test",
                   as_of=_at("2026-09-01T00:00"))
    import_records(source_code="land_contracts", rows=[land_row(uscc, "T-EARLY", area="10000")], actor="test",
                   as_of=_at("2026-01-01T00:00"))
    facts = facts_for(uscc)
    assert facts["land.contract_no"].value == "T-LATE"
    assert facts["land.area"].value == Decimal("30000.00")
    assert facts["land.area"].as_of == _at("2026-09-01T00:00")


def test_an_enterprise_no_source_holds_has_no_facts():
    assert facts_for("91330108MA2B00000X") == {}


def test_all_fact_names_cover_every_field_of_every_fact_source():
    names = all_fact_names()
    assert {"registry.uscc", "registry.name", "registry.years_established", "land.area", "land.plot_ratio",
            "project.code", "social.insured_count", "fund.deposit_ratio", "tax.credit_rating",
            "qualification.valid_until"} <= set(names)
    assert not any(name.startswith("licence.") for name in names)
    assert len(names) == len(set(names))


def test_records_for_lists_a_sources_records_newest_first_and_filters_by_category():
    uscc = demo_uscc(2)
    import_records(source_code="qualifications", actor="test", as_of=_at("2026-02-01T00:00"), rows=[
        {"uscc": uscc, "cert_no": "T-Q-1", "type": "食品经营许可", "name": "餐饮服务", "valid_until": "2030-01-01"},
    ])
    import_records(source_code="qualifications", actor="test", as_of=_at("2026-03-01T00:00"), rows=[
        {"uscc": uscc, "cert_no": "T-Q-2", "type": "建筑业企业资质", "name": "装修装饰", "level": "二级",
         "valid_until": "2030-01-01"},
    ])
    assert [r.key for r in records_for(uscc, "qualifications")] == ["T-Q-2", "T-Q-1"]
    [record] = records_for(uscc, "qualifications", category="食品经营许可")
    assert (record.source, record.category, record.title) == ("qualifications", "食品经营许可", "餐饮服务")
    assert records_for(uscc, "no_such_source") == []


def test_a_material_is_found_by_source_or_by_source_and_category():
    uscc = demo_uscc(0)
    land = find_material_record(uscc, "land_contracts")
    assert land is not None and land.key == "3301082026A21035"
    assert find_material_record(uscc, "market_registry").key == uscc
    assert find_material_record(uscc, "qualifications:建筑业企业资质") is not None
    assert find_material_record(uscc, "qualifications:食品经营许可") is None
    assert find_material_record(demo_uscc(5), "social_insurance") is None
    assert find_material_record(uscc, "form") is None
    assert find_material_record(uscc, "") is None
    assert find_material_record(uscc, "no_such_source") is None


def test_a_licences_record_never_stands_in_for_a_material_here():
    """Only the licence service's own valid rows do (cases.services.licences.licence_in_force)."""
    uscc = demo_uscc(7)
    record_licence(uscc=uscc, number="T-LIC-1", matter_code="RSJ-009", title="人力资源服务许可证",
                   issued_at=timezone.now(), valid_until=dt.date(2031, 1, 1), status="valid")
    assert [r.key for r in records_for(uscc, "licences", "RSJ-009")] == ["T-LIC-1"]
    assert find_material_record(uscc, "licences:RSJ-009") is None
    assert find_material_record(uscc, " licences :RSJ-009") is None


def test_an_expired_certificate_does_not_stand_in_for_a_material():
    uscc = demo_uscc(4)
    import_records(source_code="qualifications", actor="test", rows=[
        {"uscc": uscc, "cert_no": "T-Q-OLD", "type": "药品生产许可", "name": "药品生产许可证",
         "valid_until": "2020-12-31"},
    ])
    assert records_for(uscc, "qualifications", "药品生产许可")
    assert find_material_record(uscc, "qualifications:药品生产许可") is None


def test_record_licence_upserts_one_record_per_number():
    uscc = demo_uscc(1)
    issued = timezone.make_aware(dt.datetime(2026, 5, 20, 23, 30))  # local date, not UTC
    record_licence(uscc=uscc, number="T-LIC-2", matter_code="SCJG-001", title="营业执照", issued_at=issued,
                   valid_until=None, status="valid")
    record_licence(uscc=uscc, number="T-LIC-2", matter_code="SCJG-001", title="营业执照", issued_at=issued,
                   valid_until=None, status="revoked")
    [record] = [r for r in records_for(uscc, "licences") if r.key == "T-LIC-2"]
    assert record.data == {"number": "T-LIC-2", "matter": "SCJG-001", "title": "营业执照",
                           "issued_at": "2026-05-20", "valid_until": None, "status": "revoked"}
    assert record.category == "SCJG-001"
    assert Source.objects.get(code="licences").records.filter(key="T-LIC-2").count() == 1


def test_every_source_a_material_may_be_satisfied_by_exists():
    from qinqing.catalog.models import MaterialRequirement

    codes = set(Source.objects.values_list("code", flat=True))
    named = {value.partition(":")[0] for value in MaterialRequirement.objects.exclude(satisfied_by__in=["", "form"])
             .values_list("satisfied_by", flat=True)}
    assert named <= codes


def test_facts_for_reads_every_source_in_two_round_trips_on_postgresql_three_on_sqlite(django_assert_num_queries):
    facts_for(demo_uscc(1))  # this process keeps the sources now (datahub.sources)
    # the kept copies' versions; the registry and every generic table's records (one text of two statements
    # on PostgreSQL)
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3):
        facts = facts_for(demo_uscc(0))
    assert {name.split(".")[0] for name in facts} == {"registry", "land", "social", "fund", "tax", "qualification",
                                                        "annual"}
