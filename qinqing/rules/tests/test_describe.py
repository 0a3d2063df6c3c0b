"""Conditions in words: fact names instead of codes, choice labels instead of values."""

from __future__ import annotations

from typing import Any

from qinqing.rules.describe import describe

NAMES = {"registry.status": "登记状态", "form.monthly_quantity": "每月领用数量", "form.commitment": "承诺",
         "form.insured_start": "年初参保人数", "form.insured_end": "年末参保人数", "form.reason": "原因"}
LABELS = {("form.reason", "lost"): "遗失"}


def _name(fact: str) -> str:
    return NAMES[fact]


def _value(fact: str, raw: Any) -> str:
    return LABELS.get((fact, raw), str(raw))


def test_a_list_of_allowed_values_reads_as_alternatives():
    expr = {"in": [{"var": "registry.status"}, ["存续", "在业"]]}
    assert describe(expr, name=_name, value=_value) == "登记状态为存续或在业"
    assert describe(expr, name=_name, value=_value, english=True) == "登记状态 is 存续 or 在业"


def test_comparisons_read_with_the_facts_name_and_the_choices_label():
    assert describe({"<=": [{"var": "form.monthly_quantity"}, 25]}, name=_name, value=_value) == "每月领用数量不超过 25"
    assert describe({"!=": [{"var": "form.reason"}, "lost"]}, name=_name, value=_value) == "原因不是遗失"
    assert describe({"==": [{"var": "form.commitment"}, True]}, name=_name, value=_value) == "承诺：已确认"


def test_a_rate_reads_as_a_formula_with_a_percentage():
    rate = {"/": [{"-": [{"var": "form.insured_start"}, {"var": "form.insured_end"}]}, {"var": "form.insured_start"}]}
    text = describe({"<=": [rate, 0.055]}, name=_name, value=_value)
    assert text == "（年初参保人数 − 年末参保人数） ÷ 年初参保人数不超过 5.5%"
    assert "var" not in text and "form." not in text
