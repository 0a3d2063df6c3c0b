"""Registering an enterprise checks its 统一社会信用代码 and creates nothing when it is wrong."""

from __future__ import annotations

import random

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.errors import AccountInvalid
from qinqing.accounts.models import Enterprise, User
from qinqing.accounts.services import create_enterprise
from qinqing.audit.models import AuditRecord
from qinqing.core.ids import USCC_ALPHABET, generate_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Qinqing@2026"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _valid(seed: int = 11, department: str = "9") -> str:
    return generate_uscc(department=department, rng=random.Random(seed))


def _wrong_check_character() -> str:
    code = _valid()
    other = next(c for c in USCC_ALPHABET if c != code[17])
    return code[:17] + other


def _bad_alphabet(letter: str) -> str:
    code = _valid()
    return code[:10] + letter + code[11:]


BAD_CODES = {
    "wrong check character": _wrong_check_character(),
    "letter I": _bad_alphabet("I"),
    "letter O": _bad_alphabet("O"),
    "letter Z": _bad_alphabet("Z"),
    "17 characters": _valid()[:17],
    "19 characters": _valid() + "1",
    "full-width, wrong check character": full_width(_wrong_check_character()),
}


def _row_counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), User.objects.count(), AuditRecord.objects.count()


@pytest.mark.parametrize("code", BAD_CODES.values(), ids=BAD_CODES.keys())
def test_create_enterprise_refuses_an_invalid_code_naming_the_uscc_field(code):
    before = _row_counts()
    with pytest.raises(AccountInvalid) as info:
        create_enterprise(uscc=code, name="杭州测试科技有限公司", password=PASSWORD)
    assert list(info.value.errors) == ["uscc"]
    assert info.value.errors["uscc"][0]
    assert _row_counts() == before


@pytest.mark.parametrize("code", BAD_CODES.values(), ids=BAD_CODES.keys())
def test_createenterprise_command_refuses_an_invalid_code_and_creates_nothing(code):
    before = _row_counts()
    with pytest.raises(CommandError) as info:
        call_command("createenterprise", uscc=code, name="杭州测试科技有限公司", password=PASSWORD)
    assert "uscc:" in str(info.value)
    assert _row_counts() == before


@pytest.mark.parametrize("department", ["A", "N", "Y"])
def test_create_enterprise_accepts_codes_of_registration_departments_a_n_and_y(department):
    code = _valid(seed=3, department=department)
    user = create_enterprise(uscc=code.lower(), name=f"{department}类登记主体", password=PASSWORD)
    assert user.username == code
    assert user.enterprise.uscc == code
    assert user.check_password(PASSWORD)


def test_createenterprise_command_registers_a_valid_code_and_audits_it():
    code = _valid(seed=5, department="N")
    before = AuditRecord.objects.count()
    call_command("createenterprise", uscc=code, name="杭州某某社会组织", password=PASSWORD)
    assert Enterprise.objects.filter(uscc=code).exists()
    assert User.objects.get(username=code).is_enterprise
    record = AuditRecord.objects.order_by("-pk").first()
    assert AuditRecord.objects.count() == before + 1
    assert record.action == "enterprise.created"
    assert record.after["uscc"] == code


def test_create_enterprise_refuses_a_code_registered_twice():
    code = _valid(seed=8)
    create_enterprise(uscc=code, name="甲公司", password=PASSWORD)
    with pytest.raises(AccountInvalid) as info:
        create_enterprise(uscc=code, name="乙公司", password=PASSWORD)
    assert "uscc" in info.value.errors
    assert Enterprise.objects.filter(uscc=code).count() == 1


def test_create_enterprise_refuses_a_weak_password_and_creates_nothing():
    before = _row_counts()
    with pytest.raises(AccountInvalid) as info:
        create_enterprise(uscc=_valid(seed=9), name="丙公司", password="12345678")
    assert "password" in info.value.errors
    assert _row_counts() == before


def test_create_enterprise_accepts_a_code_typed_full_width_with_spaces_in_lower_case():
    code = _valid(seed=23)
    typed = " " + full_width(code[:9]) + " " + code[9:].lower() + "\u3000"
    user = create_enterprise(uscc=typed, name="杭州全角科技有限公司", password=PASSWORD)
    assert user.username == code
    assert user.enterprise is not None and user.enterprise.uscc == code
