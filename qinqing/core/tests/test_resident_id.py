"""居民身份证号码 (GB 11643): check digit, birth date, division codes from the shipped lists."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.core.ids import (
    InvalidResidentId,
    generate_resident_id,
    resident_id_check_char,
    validate_resident_id,
)
from qinqing.core.ids import (
    division_codes as zhejiang_division_codes,
)

REGIONS = Path(__file__).resolve().parents[2] / "regions" / "data"
TODAY = dt.date(2026, 12, 7)


def hangzhou_district_codes() -> list[str]:
    with (REGIONS / "hangzhou_districts_gbt2260.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def test_a_published_example_validates():
    # GB 11643's own worked example: 11010519491231002X.
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize("code", hangzhou_district_codes())
def test_every_hangzhou_division_in_our_file_is_accepted_including_lin_ping_and_qian_tang(code):
    number = generate_resident_id(division=code, born=dt.date(1995, 6, 30), serial=42)
    assert validate_resident_id(number, today=TODAY) == number


def test_the_2021_districts_and_abolished_codes_still_on_id_cards_are_in_the_list():
    codes = zhejiang_division_codes()
    assert {"330113", "330114", "330103", "330104", "330181", "330184", "330183", "330185"} <= codes


@pytest.mark.parametrize(("value", "reason"), [
    ("", "length"),
    ("测试填写", "length"),
    ("33010819900101001", "length"),
    ("3301081990010100A1", "format"),
    ("99010819900101001X", "province"),
    ("00010819900101001X", "province"),
    ("339999199001010010", "division"),
    ("330108199002300011", "birth_date"),
    ("330108189901010011", "birth_date"),
    (generate_resident_id(born=dt.date(2027, 1, 1)), "future_birth"),
])
def test_invalid_numbers_say_why(value, reason):
    with pytest.raises(InvalidResidentId) as refused:
        validate_resident_id(value, today=TODAY)
    assert refused.value.code == reason


def test_full_width_digits_spaces_and_a_lower_case_x_are_normalised():
    number = "11010519491231002X"
    typed = " " + number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x "
    assert validate_resident_id(typed, today=TODAY) == number


def test_another_provinces_number_is_checked_by_check_digit_and_birth_date_only():
    number = generate_resident_id(division="510104", born=dt.date(1988, 2, 29))
    assert validate_resident_id(number, today=TODAY) == number


births = st.dates(min_value=dt.date(1920, 1, 1), max_value=TODAY)
divisions = st.sampled_from(sorted(zhejiang_division_codes()))


@settings(deadline=None)
@given(division=divisions, born=births, serial=st.integers(min_value=0, max_value=999))
def test_generated_numbers_are_valid(division, born, serial):
    number = generate_resident_id(division=division, born=born, serial=serial)
    assert validate_resident_id(number, today=TODAY) == number


@settings(deadline=None)
@given(division=divisions, born=births, serial=st.integers(min_value=0, max_value=999),
       wrong=st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(division, born, serial, wrong):
    number = generate_resident_id(division=division, born=born, serial=serial)
    if wrong == number[17]:
        return
    with pytest.raises(InvalidResidentId) as refused:
        validate_resident_id(number[:17] + wrong, today=TODAY)
    assert refused.value.code == "check"


@settings(deadline=None)
@given(born=births, serial=st.integers(min_value=0, max_value=999), position=st.integers(min_value=14, max_value=16),
       delta=st.integers(min_value=1, max_value=9))
def test_a_mistyped_serial_digit_is_caught_by_the_check_character(born, serial, position, delta):
    number = generate_resident_id(born=born, serial=serial)
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    with pytest.raises(InvalidResidentId):
        validate_resident_id("".join(digits), today=TODAY)


def test_the_check_character_follows_the_standard_weights():
    assert resident_id_check_char("11010519491231002") == "X"
