"""居民身份证号码, phone numbers, bank accounts, postcodes and e-mail addresses."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.core import ids
from qinqing.core.ids import InvalidIdentifier, InvalidResidentId, generate_resident_id, validate_resident_id

HANGZHOU = Path(__file__).resolve().parents[2] / "regions" / "data" / "hangzhou_districts_gbt2260.csv"


def _hangzhou_codes() -> list[str]:
    with HANGZHOU.open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize("division", _hangzhou_codes())
def test_every_hangzhou_division_in_our_file_begins_a_valid_id_number(division):
    # python-stdnum's cn.ric raises KeyError for 330113/330114; ours must accept every code we ship.
    number = generate_resident_id(division=division, born=dt.date(1985, 6, 30), sequence=42)
    assert validate_resident_id(number) == number


def test_the_2021_districts_linping_and_qiantang_are_valid():
    assert ids.known_division("330113")
    assert ids.known_division("330114")
    assert validate_resident_id(generate_resident_id(division="330114"))


def test_a_published_sample_number_with_x_is_valid_and_normalised():
    # GB 11643 example: 11010519491231002X; a lower-case x, spaces and full-width digits are normalised.
    assert validate_resident_id(" 11010519491231002x ") == "11010519491231002X"
    assert validate_resident_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("测试填写", "length"),
        ("", "length"),
        ("11010519491231002", "length"),
        ("1101051949123100XX", "format"),
        ("11010519491231002Y", "format"),
        ("990105194912310021", "province"),
        ("339999199001011234", "division"),
        ("110105194902310021", "birth_date"),
        ("110105189912310021", "birth_date"),
        ("110105194912310021", "check"),
    ],
)
def test_invalid_numbers_say_why(raw, code):
    with pytest.raises(InvalidResidentId) as caught:
        validate_resident_id(raw)
    assert caught.value.code == code
    assert caught.value.reason


def test_a_birth_date_in_the_future_is_refused():
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(InvalidResidentId) as caught:
        validate_resident_id(generate_resident_id(born=tomorrow))
    assert caught.value.code == "future_birth"


def test_the_reason_is_translated():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(InvalidResidentId) as caught:
        validate_resident_id("110105194912310021")
    assert "校验" in caught.value.reason


_division = st.sampled_from(sorted(ids.division_codes() - {"330000"}))
_birth = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
_sequence = st.integers(min_value=0, max_value=999)


@given(_division, _birth, _sequence)
def test_generated_numbers_are_valid(division, born, sequence):
    number = generate_resident_id(division=division, born=born, sequence=sequence)
    assert validate_resident_id(number.lower()) == number


@given(_division, _birth, _sequence, st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(division, born, sequence, wrong):
    number = generate_resident_id(division=division, born=born, sequence=sequence)
    if wrong != number[-1]:
        with pytest.raises(InvalidResidentId):
            validate_resident_id(number[:-1] + wrong)


@given(st.text(max_size=30))
def test_arbitrary_text_is_either_a_valid_number_or_refused_with_a_reason(text):
    try:
        number = validate_resident_id(text)
    except InvalidResidentId as exc:
        assert exc.reason
    else:
        assert len(number) == 18 and ids.resident_id_check_char(number[:17]) == number[17]


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mobile_numbers_are_valid(second, rest):
    number = "1" + second + rest
    assert ids.validate_mobile(number) == number
    assert ids.validate_mobile(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number


@given(st.text(alphabet="0123456789", max_size=15).filter(lambda t: not (len(t) == 11 and t[0] == "1" and t[1] in "3456789")))
def test_other_digit_strings_are_not_mobile_numbers(text):
    with pytest.raises(InvalidIdentifier):
        ids.validate_mobile(text)


@pytest.mark.parametrize("raw", ["12345", "10012345678", "1385710000", "138571000001", "电话"])
def test_phone_refuses_what_is_neither_mobile_nor_landline(raw):
    with pytest.raises(InvalidIdentifier) as caught:
        ids.validate_phone(raw)
    assert "0571" in caught.value.reason


@given(st.text(alphabet="123456789", min_size=2, max_size=3), st.integers(2, 9), st.text(alphabet="0123456789", min_size=6, max_size=7))
def test_landlines_with_area_code_are_valid(area, first, rest):
    number = f"0{area}-{first}{rest}"
    assert ids.validate_landline(number) == number
    assert ids.validate_phone(number) == number


def test_landline_without_area_code_is_refused():
    with pytest.raises(InvalidIdentifier):
        ids.validate_landline("87654321")


@given(st.text(alphabet="0123456789", min_size=12, max_size=30))
def test_bank_accounts_of_12_to_30_digits_are_valid(digits):
    assert ids.validate_bank_account(digits) == digits


@given(st.one_of(st.text(alphabet="0123456789", max_size=11), st.text(alphabet="0123456789", min_size=31, max_size=40),
                 st.text(min_size=1, max_size=20).filter(lambda t: any(c.isalpha() for c in t))))
def test_other_bank_accounts_are_refused(text):
    with pytest.raises(InvalidIdentifier):
        ids.validate_bank_account(text)


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_six_digits_are_a_postcode(code):
    assert ids.validate_postcode(code) == code


@pytest.mark.parametrize("raw", ["31005", "3100511", "31005A", ""])
def test_other_postcodes_are_refused(raw):
    with pytest.raises(InvalidIdentifier):
        ids.validate_postcode(raw)


@given(st.emails())
def test_generated_email_addresses_are_valid(address):
    local, domain = address.rsplit("@", 1)
    assert ids.validate_email(address) == f"{local}@{domain.lower()}"


@pytest.mark.parametrize("raw", ["", "name", "name@", "@example.com", "name@example", "a b@example.com", "name@@x.cn"])
def test_malformed_email_addresses_are_refused(raw):
    with pytest.raises(InvalidIdentifier):
        ids.validate_email(raw)
