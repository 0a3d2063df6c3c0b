"""No duplicates in a 一件事 (issue 8 §2): a second 企业五险一金登记 is refused, naming the first bundle."""

from __future__ import annotations

import pytest

from qinqing.bundles.tests.support import NEW_ENTERPRISE, SOCIAL, merged_data, submit_bundle
from qinqing.cases.errors import DuplicateApplication
from qinqing.cases.tests.support import (
    client_for,
    enterprise,
    new_key,
    nothing_written,
    session_client,
    submit,
)
from qinqing.catalog.models import Matter

pytestmark = pytest.mark.django_db


def test_a_second_social_insurance_bundle_is_refused_naming_the_first_bundle():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    with nothing_written(), pytest.raises(DuplicateApplication) as refused:
        submit_bundle(SOCIAL, user)
    assert refused.value.existing == {**refused.value.existing, "id": parent.pk, "number": parent.number,
                                      "url": f"/bundles/cases/{parent.pk}/"}
    assert parent.number in str(refused.value.message)


def test_the_bundle_api_answers_409_with_the_existing_bundle():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    response = client_for(user, **{"Idempotency-Key": new_key()}).post(
        f"/api/v1/bundles/{SOCIAL}/submissions", {"data": merged_data(SOCIAL, user)}, content_type="application/json")
    assert response.status_code == 409, response.json()
    assert response.json()["existing"]["id"] == parent.pk


def test_a_single_registration_after_the_bundle_names_the_bundle():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    with pytest.raises(DuplicateApplication) as refused:
        submit(user, Matter.objects.get(code="RSJ-003"))
    assert refused.value.existing["id"] == parent.pk
    assert refused.value.existing["url"] == f"/bundles/cases/{parent.pk}/"


def test_the_bundle_page_shows_the_refusal_with_a_link():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    shown = session_client(user).get(f"/bundles/{SOCIAL}/apply/")
    assert shown.status_code == 200
    assert f'href="/bundles/cases/{parent.pk}/"' in shown.content.decode()
