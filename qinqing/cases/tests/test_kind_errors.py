"""The single-matter apply page on bad input: every error at once, by label; files kept across errors."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from qinqing.cases.models import Case, Material, PendingUpload
from qinqing.cases.tests.support import (
    PDF_BYTES,
    enterprise,
    form_data,
    new_key,
    required_material,
    reviewed_matter_with_required_materials,
    session_client,
)

pytestmark = pytest.mark.django_db


def _post_data(matter, **overrides) -> dict:
    data = {}
    for key, value in form_data(matter, **overrides).items():
        if value is True:
            data[key] = "true"
        elif value is not False:
            data[key] = str(value)
    return data


def _summary(response) -> str:
    page = html_lib.unescape(response.content.decode())
    found = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert found, page[:3000]
    return re.sub(r"<[^>]+>", " ", found.group(0))


def _text_field(matter):
    return next(f for f in matter.fields.all() if f.type == "text" and not f.prefill)


@override_settings(QINQING_MAX_UPLOAD_BYTES=1024)
def test_a_too_large_file_and_a_bad_field_are_reported_together_by_label():
    matter = reviewed_matter_with_required_materials()
    requirement = required_material(matter)
    text = _text_field(matter)
    user = enterprise(0)
    big = SimpleUploadedFile("营业场所证明.pdf", PDF_BYTES + b"0" * 4096, content_type="application/pdf")
    response = session_client(user).post(f"/apply/{matter.code}/", {
        **_post_data(matter, **{text.key: "字" * 12_000}), "idempotency_key": new_key(),
        f"material_{requirement.code}": big,
    })
    assert response.status_code == 422
    summary = _summary(response)
    assert f"{requirement.display_name}：营业场所证明.pdf" in summary
    assert f"{text.display_label}：" in summary
    assert "file：" not in summary
    assert not Case.objects.filter(applicant=user, matter=matter).exists()


def test_an_accepted_file_is_kept_for_the_forms_next_submission():
    matter = reviewed_matter_with_required_materials()
    requirement = required_material(matter)
    text = _text_field(matter)
    user = enterprise(0)
    client = session_client(user)
    key = new_key()
    proof = SimpleUploadedFile("营业场所证明.pdf", PDF_BYTES, content_type="application/pdf")
    first = client.post(f"/apply/{matter.code}/", {
        **_post_data(matter, **{text.key: ""}), "idempotency_key": key, f"material_{requirement.code}": proof,
    })
    assert first.status_code == 422 and text.required
    assert "营业场所证明.pdf" in html_lib.unescape(first.content.decode())
    assert PendingUpload.objects.filter(user=user, form_key=key, requirement_code=requirement.code).exists()
    second = client.post(f"/apply/{matter.code}/", {**_post_data(matter), "idempotency_key": key})
    assert second.status_code == 302
    case = Case.objects.get(applicant=user, idempotency_key=key)
    assert Material.objects.filter(case=case, requirement=requirement, original_name="营业场所证明.pdf").exists()
    assert not PendingUpload.objects.filter(user=user, form_key=key).exists()


def test_kept_files_expire_and_belong_to_their_owner_only():
    import io
    from datetime import timedelta

    from django.utils import timezone

    from qinqing.cases.services import keep_uploads, kept_uploads
    from qinqing.cases.uploads import check_upload

    user, other = enterprise(0), enterprise(1)
    upload = check_upload(io.BytesIO(PDF_BYTES), "a.pdf", len(PDF_BYTES))
    keep_uploads(user=user, form_key="k1", uploads=[("x", upload)])
    assert [c for c, _u in kept_uploads(user=user, form_key="k1")] == ["x"]
    assert kept_uploads(user=other, form_key="k1") == []
    PendingUpload.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert kept_uploads(user=user, form_key="k1") == []
