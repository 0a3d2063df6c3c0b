"""Roster pages: the template from the form, upload → progress (htmx partial) → result; case page count."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.cases.models import Roster
from qinqing.cases.tests.roster_support import (
    approved_enrolment_case,
    csv_bytes,
    owner_of,
    people,
    roster_matter,
)
from qinqing.cases.tests.support import enterprise, session_client

pytestmark = pytest.mark.django_db


def test_the_enrolment_form_offers_the_roster_template():
    client = session_client(enterprise(0))
    page = client.get(f"/apply/{roster_matter().code}/").content.decode()
    assert 'id="roster-template-link"' in page
    template = client.get("/roster/template.xlsx")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")


def test_the_bundle_form_offers_the_roster_template_in_the_enrolment_section():
    from qinqing.bundles.models import Bundle

    bundle = Bundle.objects.filter(steps__matter__code=roster_matter().code, steps__enabled=True).first()
    assert bundle is not None
    page = session_client(enterprise(0)).get(f"/bundles/{bundle.code}/apply/").content.decode()
    assert 'id="roster-template-link"' in page


def test_upload_redirects_to_progress_which_polls_until_done_then_offers_the_result(django_capture_on_commit_callbacks):
    case = approved_enrolment_case()
    client = session_client(owner_of(case))
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="roster-link"' in page and 'id="case-enrolled"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cases/{case.pk}/roster/",
                               {"roster": SimpleUploadedFile("花名册.csv", csv_bytes(people(12)))})
    roster = Roster.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/roster/{roster.pk}/"
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<section") and "hx-trigger" not in partial  # finished: polling stops
    assert 'id="roster-result"' in partial and "12" in partial
    full = client.get(response["Location"]).content.decode()
    assert "htmx" in full
    assert client.get(f"/cases/{case.pk}/roster/{roster.pk}/result.xlsx").status_code == 200
    assert "12" in client.get(f"/cases/{case.pk}/").content.decode().split('id="case-enrolled"')[1][:80]


def test_an_unfinished_roster_polls_every_second():
    case = approved_enrolment_case()
    client = session_client(owner_of(case))
    client.post(f"/cases/{case.pk}/roster/", {"roster": SimpleUploadedFile("r.csv", csv_bytes(people(2)))})
    roster = Roster.objects.get(case=case)  # queued: its task runs after commit, which a test never reaches
    partial = client.get(f"/cases/{case.pk}/roster/{roster.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'value="0"' in partial


def test_a_wrong_file_is_reported_on_the_upload_page_in_chinese():
    case = approved_enrolment_case()
    client = session_client(owner_of(case))
    response = client.post(f"/cases/{case.pk}/roster/", {"roster": SimpleUploadedFile("r.xlsx", b"")})
    assert response.status_code == 422
    assert "文件为空" in response.content.decode()
    assert not Roster.objects.filter(case=case).exists()


def test_another_enterprise_gets_404_on_the_roster_pages():
    case = approved_enrolment_case()
    client = session_client(enterprise(1))
    assert client.get(f"/cases/{case.pk}/roster/").status_code == 404
