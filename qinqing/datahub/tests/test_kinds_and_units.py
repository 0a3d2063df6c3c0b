"""Source fields of a domain type are checked on import; figures declare their unit."""

from __future__ import annotations

import pytest

from qinqing.core.ids import generate_resident_id
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import Source
from qinqing.datahub.rows import RowValidator, SourceDefinitionError, field_specs
from qinqing.datahub.tests.support import new_uscc

pytestmark = pytest.mark.django_db


def _source(**field_changes) -> Source:
    fields = [
        {"name": "no", "label": "编号", "type": "text", "required": True},
        {"name": "holder_id", "label": "身份证号码", "type": "text", "kind": "resident_id"},
        {"name": "mobile", "label": "手机号码", "type": "text", "kind": "mobile"},
        {"name": "area", "label": "面积", "type": "decimal", "kind": "area", "unit": "m2"},
        {"name": "price", "label": "价款", "type": "decimal", "kind": "amount", "unit": "yuan"},
        {"name": "staff", "label": "人数", "type": "integer", "unit": "person", **field_changes},
    ]
    return Source(code="typed_source", name="测试", department_name="测试部门", fact_prefix="typed", fields=fields,
                  key_field="no", readers=["*"])


def _problems(**row) -> dict[str, str]:
    with pytest.raises(ImportRejected) as caught:
        RowValidator(_source()).validate([{"uscc": new_uscc(1), "no": "1", **row}])
    return {e["field"]: e["reason"] for e in caught.value.errors}


def test_typed_values_are_normalised_on_import():
    number = generate_resident_id(division="330113")
    row = RowValidator(_source()).validate([{"uscc": new_uscc(1), "no": "1", "holder_id": number.lower(),
                                             "mobile": "138 5710 0000", "area": "10.50", "price": "0"}])[0].values
    assert row["holder_id"] == number
    assert row["mobile"] == "13857100000"


def test_bad_typed_values_are_refused_with_the_field_and_a_reason():
    problems = _problems(holder_id="测试填写", mobile="12345", area="-1", price="-0.01")
    assert set(problems) == {"holder_id", "mobile", "area", "price"}
    assert all(problems.values())


def test_a_source_definition_with_an_unknown_unit_or_a_misplaced_kind_is_refused():
    with pytest.raises(SourceDefinitionError):
        field_specs(_source(unit="furlong"))
    with pytest.raises(SourceDefinitionError):
        field_specs(_source(kind="mobile"))


def test_a_figure_is_shown_with_its_unit():
    spec = {s.name: s for s in field_specs(_source())}
    assert spec["price"].display_value("23430000.00") == "23,430,000.00 元"
    assert spec["area"].display_value("15620.00", english=True) == "15,620.00 m²"
    assert spec["staff"].display_value(412) == "412 人"


def test_every_shipped_source_definition_is_valid_and_declares_units_of_its_figures():
    for source in Source.objects.all():
        for spec in field_specs(source):
            if spec.type == "decimal" and spec.name not in ("plot_ratio",):
                assert spec.unit, f"{source.code}.{spec.name} has no unit"
