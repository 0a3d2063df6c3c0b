"""Invisible and bidirectional control characters are refused in names and text fields; verify is rate-limited."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from django.core.cache import cache
from django.test import Client

from qinqing.accounts.errors import AccountInvalid
from qinqing.accounts.services import create_enterprise, create_staff
from qinqing.cases.tests import support as s
from qinqing.core.text import REFUSED_CLASS, check_visible, invisible_characters

pytestmark = pytest.mark.django_db

ATTACKS = ["某某科技有限公司\u202egpj.exe", "杭州\u200b滨江", "A\u2066B\u2069", "\ufeff名称", "x\u061cy", "a\u00adb",
           "a\x07b", "a\u2028b", "\U000e0041tag"]


def test_the_refused_class_covers_every_format_and_control_character_of_the_unicode_tables():
    import re

    pattern = re.compile(f"[{REFUSED_CLASS}]")
    missed = [hex(cp) for cp in range(sys.maxunicode + 1)
              if unicodedata.category(chr(cp)) in {"Cf", "Cc", "Cs", "Zl", "Zp"} and not pattern.match(chr(cp))]
    assert missed == []


@pytest.mark.parametrize("text", ATTACKS)
def test_check_visible_refuses_and_names_the_character(text: str):
    with pytest.raises(ValueError, match="U\\+"):
        check_visible(text)


def test_ordinary_chinese_text_rare_characters_and_emoji_pass():
    for text in ["杭州滨江智联科技有限公司", "𠀾𪚥", "\ue000", "（有限合伙）", "张三·李四"]:
        assert check_visible(text) == text
    assert check_visible("第一行\n第二行\t完", multiline=True)
    assert invisible_characters("第一行\n第二行") == ["U+000A"]


@pytest.mark.parametrize("text", ATTACKS[:3])
def test_an_enterprise_named_with_a_bidi_override_is_refused(text: str):
    with pytest.raises(AccountInvalid) as refused:
        create_enterprise(uscc="91330108MA2GXXXX1", name=text, password="Qinqing@2026x")
    assert "name" in refused.value.errors or "uscc" in refused.value.errors


def test_a_staff_display_name_with_a_zero_width_space_is_refused():
    with pytest.raises(AccountInvalid) as refused:
        create_staff(username="new_staff", password="Qinqing@2026x", department=None, roles=[],
                     display_name="审批\u200b员")
    assert "display_name" in refused.value.errors


def test_a_text_field_of_an_application_refuses_an_override_with_a_field_error():
    from qinqing.catalog.models import FormField

    field = FormField.objects.filter(type=FormField.Type.TEXT, choices=[]).select_related("matter").first()
    assert field is not None
    data = s.form_data(field.matter)
    data[field.key] = "正常\u202e文本"
    response = s.client_for(s.enterprise(0), **{"Idempotency-Key": s.new_key()}).post(
        "/api/v1/cases", {"matter": field.matter.code, "data": data}, content_type="application/json")
    assert response.status_code == 422, response.content[:300]
    assert any("U+202E" in m for m in response.json()["errors"].get(field.key, [])), response.json()


def test_a_decision_note_with_an_override_is_refused():
    case = s.open_case(0)
    response = s.client_for(s.reviewer_of(case.matter)).post(
        f"/api/v1/cases/{case.pk}/decision", {"outcome": "supplement", "note": "请补充\u202e材料"},
        content_type="application/json")
    assert response.status_code == 422
    assert "note" in response.json()["errors"]


def test_an_imported_record_with_an_override_in_a_text_field_is_refused():
    from qinqing.datahub.rows.checks import Messages, _text_check
    from qinqing.datahub.rows.fields import FieldSpec

    problems: list[tuple[str, str]] = []
    spec = FieldSpec(name="name", label="名称", type="text")
    check = _text_check(spec, Messages(), problems, True)
    check("杭州公司\u202egpj.exe")
    assert problems and "U+202E" in problems[0][1]


# ---- the public verify endpoint ------------------------------------------------------------------


def test_the_public_verify_endpoint_is_rate_limited_per_client_address(settings):
    settings.QINQING_VERIFY_PER_MINUTE = 5
    cache.clear()
    number = s.approved_case(0).licence.number
    statuses = [Client(REMOTE_ADDR="198.51.100.9", headers={"X-Forwarded-For": f"203.0.113.{i}"}).get(
        f"/api/v1/licences/{number}/verify").status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limited = Client(REMOTE_ADDR="198.51.100.9").get(f"/verify/{number}/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert Client(REMOTE_ADDR="198.51.100.10").get(f"/api/v1/licences/{number}/verify").status_code == 200
