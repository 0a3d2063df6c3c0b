"""The merged form on bad input: every error at once with its field's label; nothing typed or attached lost."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from qinqing.bundles.tests.support import (
    INDUSTRIAL,
    LAND_CONTRACT,
    MANUFACTURER,
    agent,
    merged_data,
)
from qinqing.bundles.tests.test_views import _as_post
from qinqing.cases.models import Case, Material, PendingUpload
from qinqing.cases.tests.support import PDF_BYTES, enterprise, new_key, session_client
from qinqing.catalog.models import MaterialRequirement

pytestmark = pytest.mark.django_db

URL = f"/bundles/{INDUSTRIAL}/apply/"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _text(response: Any) -> str:
    return html_lib.unescape(response.content.decode())


def _summary(page: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert found, "the page has an error summary"
    return re.sub(r"<[^>]+>", " ", found.group(0))


def _contract_label() -> str:
    return MaterialRequirement.objects.filter(code=LAND_CONTRACT)[0].display_name


def _post(client: Any, data: dict[str, Any], key: str, **files: Any) -> Any:
    return client.post(URL, {**_as_post(data), "idempotency_key": key, **files})


@override_settings(QINQING_MAX_UPLOAD_BYTES=1024)
def test_every_error_is_reported_at_once_with_the_fields_label():
    user = enterprise(MANUFACTURER)
    data = merged_data(INDUSTRIAL, user, project_name="厂" * 12_000)
    too_big = SimpleUploadedFile("出让合同.pdf", PDF_BYTES + b"0" * 2048, content_type="application/pdf")
    response = _post(session_client(user), data, new_key(), **{f"material_{LAND_CONTRACT}": too_big})
    assert response.status_code == 422
    summary = _summary(_text(response))
    assert f"{_contract_label()}：出让合同.pdf" in summary, summary
    assert "file：" not in summary and "material_" not in summary, "no raw keys"
    assert "项目名称：" in summary, "the over-long project name is reported in the same answer"
    assert not Case.objects.filter(applicant=user, bundle_code=INDUSTRIAL).exists()


def test_a_renamed_program_is_refused_by_content_with_the_materials_label():
    user = enterprise(MANUFACTURER)
    data = merged_data(INDUSTRIAL, user)
    program = SimpleUploadedFile("合同.pdf", EXE, content_type="application/pdf")
    response = _post(session_client(user), data, new_key(), **{f"material_{LAND_CONTRACT}": program})
    assert response.status_code == 422
    assert f"{_contract_label()}：合同.pdf" in _summary(_text(response))
    assert not PendingUpload.objects.filter(user=user).exists(), "a refused file is not kept"


def test_typed_values_the_agent_and_accepted_files_survive_an_error_and_are_used_on_resubmission():
    user = enterprise(MANUFACTURER)
    client = session_client(user)
    key = new_key()
    chosen = agent()
    data = merged_data(INDUSTRIAL, user, project_name="年产500万台智能终端生产基地项目")
    wrong = {**data, "project_name": ""}
    contract = SimpleUploadedFile("出让合同.pdf", PDF_BYTES, content_type="application/pdf")
    first = client.post(URL, {**_as_post(wrong), "idempotency_key": key, "agent": str(chosen.pk),
                              f"material_{LAND_CONTRACT}": contract})
    assert first.status_code == 422
    page = _text(first)
    assert f'<option value="{chosen.pk}" selected>' in page, "the agent choice is kept"
    assert "出让合同.pdf" in page and 'id="k-' in page, "the accepted file is shown as attached"
    assert PendingUpload.objects.filter(user=user, form_key=key).count() == 1
    for key_name, value in _as_post(wrong).items():
        if key_name != "project_name" and isinstance(value, str) and value and len(value) < 60:
            assert value in page, f"{key_name} kept"

    second = client.post(URL, {**_as_post(data), "idempotency_key": key, "agent": str(chosen.pk)})
    assert second.status_code == 302, _summary(_text(second))
    parent = Case.objects.get(applicant=user, bundle_code=INDUSTRIAL, parent__isnull=True)
    assert Material.objects.filter(case__parent=parent, original_name="出让合同.pdf").exists()
    assert parent.bundle_case.agent == chosen
    assert not PendingUpload.objects.filter(user=user, form_key=key).exists(), "kept files are released"


def test_kept_files_are_shown_after_a_language_switch_and_only_to_their_owner():
    user = enterprise(MANUFACTURER)
    key = new_key()
    data = merged_data(INDUSTRIAL, user, project_name="")
    contract = SimpleUploadedFile("出让合同.pdf", PDF_BYTES, content_type="application/pdf")
    _post(session_client(user), data, key, **{f"material_{LAND_CONTRACT}": contract})
    switched = session_client(user)
    switched.post("/i18n/setlang/", {"language": "en", "next": f"{URL}?key={key}"})
    page = _text(switched.get(f"{URL}?key={key}"))
    assert "出让合同.pdf" in page and f'value="{key}"' in page
    other = _text(session_client(enterprise(0)).get(f"{URL}?key={key}"))
    assert "出让合同.pdf" not in other
