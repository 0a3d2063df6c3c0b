"""Amounts, areas and unit conversion."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.core.values import UNITS, UnitError, convert, convertible, validate_amount, validate_area


def test_yuan_to_ten_thousand_yuan():
    assert convert(Decimal("23430000.00"), "yuan", "wan_yuan") == Decimal("2343.00")
    assert convert(Decimal("38699200.00"), "yuan", "wan_yuan") == Decimal("3869.92")


def test_mu_to_square_metres_and_back():
    assert convert(Decimal("30"), "mu", "m2") == Decimal("20000.00")
    assert convert(Decimal("20368.00"), "m2", "mu") == Decimal("30.55")


@pytest.mark.parametrize(("a", "b"), [("yuan", "m2"), ("yuan", "wan_usd"), ("percent", "person"), ("yuan", ""), ("", "m2")])
def test_different_dimensions_or_currencies_do_not_convert(a, b):
    assert not convertible(a, b)
    with pytest.raises(UnitError):
        convert(Decimal(1), a, b)


@given(st.sampled_from(sorted(UNITS)), st.decimals(min_value=0, max_value=10**9, places=2))
def test_a_unit_converts_to_itself_unchanged(unit, value):
    assert convert(value, unit, unit) == value


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_yuan_to_wan_yuan_is_a_division_by_ten_thousand(value):
    assert convert(value, "yuan", "wan_yuan") == (value / 10000).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_valid_amounts_and_areas(value):
    assert validate_amount(str(value)) == value
    assert validate_area(value) == value


@given(st.decimals(max_value=Decimal("-0.01"), min_value=-10**9, places=2))
def test_negative_amounts_and_areas_are_refused(value):
    with pytest.raises(ValueError):
        validate_amount(str(value))
    with pytest.raises(ValueError):
        validate_area(str(value))


@pytest.mark.parametrize("raw", ["1.001", "abc", "", "NaN", "Infinity", True, None, "1e20"])
def test_malformed_amounts_are_refused(raw):
    with pytest.raises(ValueError):
        validate_amount(raw)


def test_thousands_separators_are_accepted():
    assert validate_amount("23,430,000.00") == Decimal("23430000.00")
