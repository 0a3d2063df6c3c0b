import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from qinqing.core.ids import (
    InvalidUSCC,
    generate_uscc,
    is_valid_uscc,
    looks_like_uscc,
    normalise_uscc,
    uscc_check_char,
    validate_uscc,
)


def test_real_published_code_is_valid():
    assert validate_uscc("91110000802100433B") == "91110000802100433B"


def test_lowercase_and_spaces_are_normalised():
    assert validate_uscc(" 91110000802100433b ") == "91110000802100433B"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("91110000802100433C", "check"),
        ("9111000080210043", "length"),
        ("91110000802100433BX", "length"),
        ("9111000080210043IB", "alphabet"),
        ("９１１１００００８０２１００４３３Ｃ", "check"),
        ("Z1110000802100433B", "alphabet"),
        ("B1110000802100433B", "department"),
    ],
)
def test_invalid_codes_report_why(raw, reason):
    with pytest.raises(InvalidUSCC) as info:
        validate_uscc(raw)
    assert info.value.reason == reason


def test_wrong_embedded_organisation_check_is_refused_even_with_a_matching_final_check():
    code = generate_uscc(rng=random.Random(1))
    org = code[8:17]
    bad_org_char = "0" if org[8] != "0" else "1"
    first17 = code[:16] + bad_org_char
    forged = first17 + uscc_check_char(first17)
    with pytest.raises(InvalidUSCC) as info:
        validate_uscc(forged)
    assert info.value.reason == "org_check"


@pytest.mark.parametrize("department", ["A", "N", "Y"])
def test_codes_starting_with_a_n_or_y_are_accepted_where_stdnum_refuses_them(department):
    code = generate_uscc(department=department, category="1", rng=random.Random(7))
    assert is_valid_uscc(code)
    assert not stdnum_uscc.is_valid(code)


@given(st.integers(min_value=0, max_value=10_000))
def test_generated_codes_validate_here_and_in_stdnum(seed):
    code = generate_uscc(rng=random.Random(seed))
    assert is_valid_uscc(code)
    assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize("typed", [
    "９１１１００００８０２１００４３３Ｂ",  # a Chinese input method's full-width characters
    "９１１１００００８０２１００４３３ｂ",
    "9111 0000 8021 0043 3B",
    "9111\u30000000802100433b",  # an ideographic space inside
    " 91110000802100433b\t",
])
def test_codes_as_people_type_them_are_normalised(typed):
    assert normalise_uscc(typed) == "91110000802100433B"
    assert validate_uscc(typed) == "91110000802100433B"


def test_staff_usernames_do_not_look_like_codes():
    assert looks_like_uscc("９１１１００００８０２１００４３３ｂ")
    assert looks_like_uscc("9111000080210043")  # one short: still meant as a code
    assert not looks_like_uscc("rsj_reviewer")
    assert not looks_like_uscc("admin")
