"""A department's own system can replace a source through a setting; callers do not change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from django.test import override_settings
from django.utils import timezone

from qinqing.datahub.adapters import (
    ImportResult,
    Record,
    RegistryAdapter,
    SourceAdapter,
    TableAdapter,
    adapter_for,
)
from qinqing.datahub.models import Source
from qinqing.datahub.queries import facts_for, find_material_record, records_for
from qinqing.datahub.rows import CleanRow
from qinqing.datahub.services import import_records
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


class FakeSocialInsurance:
    """Stands in for the human-resources bureau's own system."""

    imported: list[CleanRow] = []

    def records_for(self, source: Source, uscc: str) -> list[Record]:
        data = {"account_no": "HR-LIVE-1", "registered_on": "2026-05-20", "insured_count": 7, "agency": "实时接口"}
        return [Record(source.code, source.name, "HR-LIVE-1", "", "实时接口", data, AS_OF, uscc)]

    def import_rows(self, source: Source, rows: Sequence[CleanRow], *, as_of: dt.datetime) -> ImportResult:
        FakeSocialInsurance.imported = list(rows)
        return ImportResult(source.code, len(rows), 0, len(rows))


FAKE = {"social_insurance": "qinqing.datahub.tests.test_adapters.FakeSocialInsurance"}


def test_each_source_gets_the_adapter_its_row_names():
    assert isinstance(adapter_for(Source.objects.get(code="market_registry")), RegistryAdapter)
    assert isinstance(adapter_for(Source.objects.get(code="land_contracts")), TableAdapter)
    assert isinstance(adapter_for(Source.objects.get(code="land_contracts")), SourceAdapter)


@override_settings(QINQING_DATAHUB_ADAPTERS=FAKE)
def test_a_setting_replaces_a_sources_adapter_and_facts_for_reads_through_it():
    source = Source.objects.get(code="social_insurance")
    assert isinstance(adapter_for(source), FakeSocialInsurance)
    facts = facts_for(demo_uscc(5))  # the local table holds nothing for the new enterprise
    assert facts["social.insured_count"].value == 7
    assert facts["social.registered_on"].value == dt.date(2026, 5, 20)
    assert facts["social.account_no"].as_of == AS_OF
    assert facts["registry.name"].source == "market_registry"  # other sources unchanged
    assert facts_for(demo_uscc(0))["land.use"].value == "工业用地"
    assert [r.key for r in records_for(demo_uscc(5), "social_insurance")] == ["HR-LIVE-1"]
    assert find_material_record(demo_uscc(5), "social_insurance") is not None


@override_settings(QINQING_DATAHUB_ADAPTERS=FAKE)
def test_imports_go_to_the_replacing_adapter_after_the_same_validation():
    row = {"uscc": demo_uscc(5), "account_no": "HR-1", "registered_on": "2026-06-01", "insured_count": "3"}
    result = import_records(source_code="social_insurance", rows=[row], actor="test", as_of=timezone.now())
    assert (result.rows, result.updated) == (1, 1)
    [clean] = FakeSocialInsurance.imported
    assert clean.values["insured_count"] == 3 and clean.key == "HR-1"
