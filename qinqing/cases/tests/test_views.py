"""The apply page: prefilled from government data with sources, CSRF-protected, errors per field."""

from __future__ import annotations

import html as html_lib

import pytest
from django.test import Client

from qinqing.cases.models import Case
from qinqing.cases.tests.support import (
    enterprise,
    form_data,
    matter_approved_for,
    new_key,
    non_editable_name_field,
    nothing_written,
    open_case,
    reviewer_of,
    session_client,
)
from qinqing.datahub.models import RegistryRecord

pytestmark = pytest.mark.django_db


def _form_post(matter, **overrides) -> dict:
    data = {}
    for key, value in form_data(matter, **overrides).items():
        if value is True:
            data[key] = "true"
        elif value is not False:
            data[key] = str(value)
    data["idempotency_key"] = new_key()
    return data


def test_apply_page_shows_prefilled_values_with_their_source():
    matter, name_field = non_editable_name_field()
    user = enterprise(0)
    record = RegistryRecord.objects.get(uscc=user.enterprise.uscc)
    response = session_client(user).get(f"/apply/{matter.code}/")
    assert response.status_code == 200
    page = html_lib.unescape(response.content.decode())
    assert f'value="{record.name}"' in page
    assert f'id="f-{name_field.key}"' in page
    assert record.source.name in page
    assert 'readonly aria-readonly="true"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="idempotency_key"' in page


def test_apply_page_redirects_anonymous_visitors_to_login():
    matter = matter_approved_for(0)
    response = Client().get(f"/apply/{matter.code}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_apply_page_is_refused_to_staff():
    matter = matter_approved_for(0)
    assert session_client(reviewer_of(matter)).get(f"/apply/{matter.code}/").status_code == 403


def test_apply_post_without_a_csrf_token_is_refused_with_403():
    matter = matter_approved_for(0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise(0), backend="django.contrib.auth.backends.ModelBackend")
    with nothing_written():
        response = client.post(f"/apply/{matter.code}/", _form_post(matter))
    assert response.status_code == 403


def test_apply_post_with_the_csrf_token_submits_and_opens_the_case():
    matter = matter_approved_for(0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise(0), backend="django.contrib.auth.backends.ModelBackend")
    client.get(f"/apply/{matter.code}/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/apply/{matter.code}/", {**_form_post(matter), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    case = Case.objects.get(applicant=enterprise(0), matter=matter)
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.status == "approved"


def test_apply_post_with_a_changed_locked_value_shows_the_error_and_stores_nothing():
    matter, name_field = non_editable_name_field()
    with nothing_written():
        response = session_client(enterprise(0)).post(
            f"/apply/{matter.code}/", _form_post(matter, **{name_field.key: "冒名顶替有限公司"})
        )
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="e-{name_field.key}"' in page
    assert 'role="alert"' in page


def test_apply_post_twice_with_the_same_key_stores_one_case():
    matter = matter_approved_for(0)
    client = session_client(enterprise(0))
    data = _form_post(matter)
    first = client.post(f"/apply/{matter.code}/", data)
    second = client.post(f"/apply/{matter.code}/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(applicant=enterprise(0), idempotency_key=data["idempotency_key"]).count() == 1


def test_case_page_shows_the_decision_reasons_and_timeline_to_the_owner():
    case = open_case(0)
    page = session_client(enterprise(0)).get(f"/cases/{case.pk}/").content.decode()
    assert case.number in page
    assert case.matter.name in page


def test_workbench_lists_the_departments_queue_and_is_hidden_from_enterprises():
    case = open_case(0)
    page = session_client(reviewer_of(case.matter)).get("/review/")
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert session_client(enterprise(0)).get("/review/").status_code == 404
