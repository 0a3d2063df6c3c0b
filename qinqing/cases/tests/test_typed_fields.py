"""Form fields of a domain type (credit code, ID number, phone, account, postcode, e-mail, amount, area)."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.bundles.errors import BundleInvalid
from qinqing.bundles.tests.support import NEW_ENTERPRISE, SOCIAL, merged_data, submit_bundle
from qinqing.cases.errors import CaseInvalid
from qinqing.cases.formdata import clean_form_data
from qinqing.cases.tests.support import client_for, enterprise, form_data, new_key, nothing_written, submit
from qinqing.catalog.models import FormField, Matter
from qinqing.catalog.services import field_problems
from qinqing.core.ids import generate_resident_id, resident_id_check_char

pytestmark = pytest.mark.django_db

VALID_ID = generate_resident_id(division="330114", sequence=517)
WRONG_CHECK = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")


def _field(kind: str, type_: str = FormField.Type.TEXT, **extra) -> FormField:
    return FormField(key="value", label="值", type=type_, kind=kind, required=True, max_length=40, **extra)


def _clean(field: FormField, raw):
    cleaned, _sources, errors = clean_form_data([field], {"value": raw}, {})
    return cleaned.get("value"), errors.get("value", [])


def test_the_social_insurance_bundle_refuses_a_short_phone_and_an_id_number_with_a_wrong_check_digit():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user, handler_phone="12345", id_number=WRONG_CHECK)
    with nothing_written(), pytest.raises(BundleInvalid) as caught:
        submit_bundle(SOCIAL, user, data=data)
    assert "handler_phone" in caught.value.errors
    assert "id_number" in caught.value.errors


def test_the_social_insurance_bundle_accepts_valid_phone_and_id_number():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user, data=merged_data(SOCIAL, user, handler_phone="13857100002", id_number=VALID_ID))
    enrolment = parent.children.get(step_key="employee_insurance")
    assert enrolment.data["id_number"] == VALID_ID
    assert enrolment.data["handler_phone"] == "13857100002"


def test_company_registration_refuses_an_investor_id_number_of_test_text():
    matter = Matter.objects.get(code="SCJG-001")
    user = enterprise(0)
    with nothing_written():
        response = client_for(user, **{"Idempotency-Key": new_key()}).post(
            "/api/v1/cases", {"matter": matter.code, "data": form_data(matter, investor_id_number="测试填写")},
            content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    message = response.json()["errors"]["investor_id_number"][0]
    assert "身份证" in message and "统一社会信用代码" in message


def test_company_registration_accepts_an_investor_id_number_or_a_company_credit_code():
    matter = Matter.objects.get(code="SCJG-001")
    for investor in (VALID_ID.lower(), "91110000802100433B"):
        case = submit(enterprise(0), matter, form_data(matter, investor_id_number=investor))
        assert case.data["investor_id_number"] == investor.upper()


def test_the_api_names_the_field_and_says_why_in_chinese():
    matter = Matter.objects.get(code="SCJG-001")
    response = client_for(enterprise(0), **{"Idempotency-Key": new_key()}).post(
        "/api/v1/cases", {"matter": matter.code, "data": form_data(matter, investor_id_number=WRONG_CHECK)},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    assert "校验" in response.json()["errors"]["investor_id_number"][0]


def test_every_real_form_asking_for_a_phone_id_or_account_uses_its_type():
    untyped = FormField.objects.filter(kind="", type=FormField.Type.TEXT).filter(
        key__in=["uscc", "id_number", "investor_id_number", "contact_phone", "handler_phone", "legal_rep_phone",
                 "bank_account", "bank_account_no", "postal_code", "contact_email", "email"])
    assert list(untyped.values_list("matter__code", "key")) == []


def test_catalog_data_refuses_a_kind_that_does_not_fit_its_type_and_an_unknown_unit():
    row = {"code": "X-001", "fields": [
        {"key": "a", "type": "integer", "kind": "mobile"},
        {"key": "b", "type": "text", "kind": "telepathy"},
        {"key": "c", "type": "decimal", "unit": "furlong"},
    ], "licence_fields": ["d"]}
    problems = field_problems(row)
    assert len(problems) == 4


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("uscc", "91110000802100433b", "91110000802100433C"),
    ("resident_id", VALID_ID, WRONG_CHECK),
    ("mobile", "138 5710 0003", "12345"),
    ("landline", "0571-87654321", "87654321"),
    ("phone", "0571-87654321", "12345"),
    ("bank_account", "6222 0212 0200 1234 567", "62220212"),
    ("postcode", "310051", "3100"),
    ("email", "caiwu@example.com", "caiwu@"),
])
def test_each_text_kind_accepts_a_good_value_and_refuses_a_bad_one_with_a_message(kind, good, bad):
    value, errors = _clean(_field(kind), good)
    assert value and errors == []
    value, errors = _clean(_field(kind), bad)
    assert value is None and errors and all(errors)


@pytest.mark.parametrize("kind", ["amount", "area"])
def test_amounts_and_areas_are_non_negative_with_two_decimals(kind):
    field = _field(kind, FormField.Type.DECIMAL)
    assert _clean(field, "1,234.50") == ("1234.50", [])
    assert _clean(field, "-1")[1]
    assert _clean(field, "1.005")[1]


def test_messages_are_translated():
    with translation.override("zh-hans"):
        _value, errors = _clean(_field("mobile"), "12345")
    assert "手机号码" in errors[0]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2008, 1, 1)),
       st.integers(0, 999), st.sampled_from(["330102", "330108", "330113", "330114", "110105", "440305"]))
def test_generated_id_numbers_pass_the_form_and_altered_ones_fail(born, sequence, division):
    number = generate_resident_id(division=division, born=born, sequence=sequence)
    assert _clean(_field("resident_id"), number) == (number, [])
    wrong = "0123456789X"[("0123456789X".index(resident_id_check_char(number[:17])) + 1) % 11]
    assert _clean(_field("resident_id"), number[:17] + wrong)[1]


def test_case_invalid_is_raised_for_a_bad_typed_value_through_the_service():
    matter = Matter.objects.get(code="SCJG-001")
    with nothing_written(), pytest.raises(CaseInvalid) as caught:
        submit(enterprise(0), matter, form_data(matter, investor_id_number="测试填写"))
    assert list(caught.value.errors) == ["investor_id_number"]
