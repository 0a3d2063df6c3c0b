"""Source definitions and the per-field checks of an import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from qinqing.accounts.errors import USCC_REASONS
from qinqing.core.ids import InvalidUSCC, validate_uscc
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import Source
from qinqing.datahub.rows import RowValidator, SourceDefinitionError, field_specs, parse_json
from qinqing.datahub.tests.support import new_uscc

pytestmark = pytest.mark.django_db


def _source(**changes) -> Source:
    fields = [
        {"name": "no", "label": "编号", "type": "text", "required": True, "max_length": 8, "pattern": "[A-Z]-[0-9]+"},
        {"name": "count", "label": "数量", "type": "integer"},
        {"name": "amount", "label": "金额", "type": "decimal", "decimal_places": 1, "max_digits": 5},
        {"name": "day", "label": "日期", "type": "date"},
        {"name": "grade", "label": "等级", "type": "text", "choices": ["A", {"value": "B", "label": "乙"}]},
    ]
    values = {"code": "test_source", "name": "测试", "department_name": "测试部门", "fact_prefix": "test",
              "fields": fields, "key_field": "no", "readers": ["*"], **changes}
    return Source(**values)


def _clean(source: Source, **row):
    return RowValidator(source).validate([{"uscc": new_uscc(1), **row}])[0].values


def _problems(source: Source, **row) -> dict[str, str]:
    with pytest.raises(ImportRejected) as exc:
        RowValidator(source).validate([{"uscc": new_uscc(1), **row}])
    return {e["field"]: e["reason"] for e in exc.value.errors}


def test_values_come_back_typed():
    values = _clean(_source(), no=" A-1 ", count="12", amount="1,234.5", day="2026-05-12", grade="B")
    assert values == {"no": "A-1", "count": 12, "amount": Decimal("1234.5"), "day": dt.date(2026, 5, 12),
                      "grade": "B"}
    assert _clean(_source(), no="A-2", count=3, amount=Decimal("2.50"))["amount"] == Decimal("2.5")
    assert _clean(_source(), no="A-3", count="", amount=None, day=" ")["count"] is None


def test_each_type_refuses_what_it_cannot_hold():
    problems = _problems(_source(), no="a1", count="1.5", amount="12345", day="2026-13-01", grade="C")
    assert set(problems) == {"no", "count", "amount", "day", "grade"}
    assert set(_problems(_source(), no="A-1", count=True, amount=[], day=20260101)) == {"count", "amount", "day"}
    assert set(_problems(_source(), no="A-123456789")) == {"no"}
    assert set(_problems(_source(), no="", count="NaN")) == {"no", "count"}


def test_json_decimals_keep_their_precision():
    table = parse_json(f'[{{"uscc": "{new_uscc(1)}", "no": "A-9", "amount": 0.1}}]')
    assert RowValidator(_source()).validate(table)[0].values["amount"] == Decimal("0.1")


def test_uscc_is_checked_with_its_reason():
    with pytest.raises(ImportRejected) as exc:
        RowValidator(_source()).validate([{"uscc": "91330108MA2XXXXXX1", "no": "A-1"}, {"no": "A-2"}])
    assert [(e["line"], e["field"]) for e in exc.value.errors] == [(1, "uscc"), (2, "uscc")]
    with pytest.raises(InvalidUSCC) as invalid:
        validate_uscc("91330108MA2XXXXXX1")
    assert exc.value.errors[0]["reason"] == str(USCC_REASONS[invalid.value.reason])
    assert exc.value.errors[1]["reason"] == "此项为必填项。"


def test_field_definitions_are_checked():
    for fields in ([{"name": "Bad Name"}], [{"name": "a", "type": "money"}], [{"name": "a"}, {"name": "a"}],
                   [{"name": "a", "choices": [1]}], [{"name": "a", "pattern": "("}], {"name": "a"}):
        with pytest.raises(SourceDefinitionError):
            field_specs(_source(fields=fields))
    with pytest.raises(ValidationError):
        _source(key_field="missing").clean()
    with pytest.raises(ValidationError):
        _source(readers="SCJG").clean()
    _source().clean()


def test_every_shipped_source_is_well_defined():
    for source in Source.objects.all():
        source.clean()
        assert source.key_field in {s.name for s in field_specs(source)}
