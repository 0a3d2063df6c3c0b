"""Figures carry their unit: prefill converts between units and refuses what it cannot convert."""

from __future__ import annotations

import pytest

from qinqing.bundles.models import Bundle
from qinqing.bundles.queries import bundle_prefill
from qinqing.bundles.services import merged_form
from qinqing.cases.formdata import prefill_value
from qinqing.cases.queries import prefill_for
from qinqing.cases.tests.support import enterprise, session_client
from qinqing.catalog.models import FormField, Matter
from qinqing.core.values import convertible
from qinqing.datahub.queries import all_fact_units, facts_for

pytestmark = pytest.mark.django_db

MANUFACTURER = 1  # its land contract's 出让价款 is 23,430,000.00 yuan


def test_every_prefill_mapping_of_the_catalog_names_a_fact_whose_unit_agrees_or_converts():
    units = all_fact_units()
    fields = list(FormField.objects.exclude(prefill="").select_related("matter"))
    assert fields
    problems = []
    for field in fields:
        if field.prefill not in units:
            problems.append(f"{field}: no fact {field.prefill}")
        elif not convertible(units[field.prefill], field.unit):
            problems.append(f"{field}: {units[field.prefill] or 'no unit'} → {field.unit or 'no unit'}")
    assert problems == []


def test_every_number_field_filled_from_a_figure_declares_a_unit_when_its_source_does():
    units = all_fact_units()
    for field in FormField.objects.exclude(prefill="").filter(type__in=["decimal", "integer"]):
        assert bool(field.unit) == bool(units[field.prefill]), field


def test_every_bundle_input_from_the_merged_form_is_in_the_same_unit():
    problems = []
    for bundle in Bundle.objects.all():
        form = merged_form(bundle)
        by_key = form.by_key()
        for step in bundle.steps.select_related("matter"):
            fields = {f.key: f for f in step.matter.fields.all()}
            for child_key, source in (step.inputs or {}).items():
                if not source.startswith("form."):
                    continue
                merged = by_key.get(source[len("form."):])
                target = fields.get(child_key)
                if merged is None or target is None:
                    continue
                if merged.field.unit != target.unit:  # the value is copied, not converted
                    problems.append(f"{bundle.code}.{step.key}.{child_key}: {merged.field.unit} → {target.unit}")
    assert problems == []


def test_land_price_in_yuan_is_prefilled_in_ten_thousand_yuan():
    matter = Matter.objects.get(code="FGW-001")
    field = matter.fields.get(key="land_price")
    assert field.unit == "wan_yuan"
    prefill = prefill_for(matter, enterprise(MANUFACTURER).enterprise.uscc)
    assert prefill["data"]["land_price"] == "2343.00"


def test_the_industrial_project_merged_form_takes_the_converted_price_too():
    prefill = bundle_prefill(Bundle.objects.get(code="industrial-project"), enterprise(MANUFACTURER).enterprise.uscc)
    assert prefill["data"]["land_price"] == "2343.00"


def test_prefill_refuses_a_figure_whose_unit_cannot_be_converted():
    facts = facts_for(enterprise(MANUFACTURER).enterprise.uscc)
    area_from_price = FormField(key="x", label="x", type=FormField.Type.DECIMAL, prefill="land.price", unit="m2")
    count_from_price = FormField(key="y", label="y", type=FormField.Type.DECIMAL, prefill="land.price", unit="")
    assert prefill_value(area_from_price, facts) is None
    assert prefill_value(count_from_price, facts) is None


def test_prefill_converts_square_metres_to_mu():
    facts = facts_for(enterprise(MANUFACTURER).enterprise.uscc)
    in_mu = FormField(key="x", label="x", type=FormField.Type.DECIMAL, prefill="land.area", unit="mu")
    assert prefill_value(in_mu, facts) == "23.43"  # 15,620 m² × 3 / 2000


def test_the_form_shows_the_unit_next_to_each_figure():
    page = session_client(enterprise(MANUFACTURER)).get("/apply/FGW-001/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="2343.00"' in html
    assert '<span class="unit" id="u-land_price">万元</span>' in html
    assert '<span class="unit" id="u-land_area">m²</span>' in html


def test_the_enterprise_data_page_shows_the_unit_of_each_figure():
    page = session_client(enterprise(MANUFACTURER)).get("/my/data/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "23,430,000.00 元" in html
    assert "15,620.00 m²" in html
    assert "412 人" in html


def test_a_bundle_merging_one_field_in_two_units_is_refused():
    from qinqing.bundles.definitions import DefinitionError, merge
    from qinqing.bundles.models import BundleStep

    # 注册资本 is asked in 万元 for a company registration and in 元 for a project filing.
    in_wan = Matter.objects.get(code="SCJG-002")
    in_yuan = Matter.objects.get(code="FGW-001")
    assert in_wan.fields.get(key="registered_capital").unit != in_yuan.fields.get(key="registered_capital").unit
    steps = [BundleStep(key="a", matter=in_wan, requires=[]), BundleStep(key="b", matter=in_yuan, requires=[])]
    with pytest.raises(DefinitionError):
        merge(steps)
