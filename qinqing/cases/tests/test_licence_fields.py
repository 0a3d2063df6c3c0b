"""A licence states what it licenses: the matter's declared case fields, signed, on the PDF and the verify page."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from pypdf import PdfReader

from qinqing.cases import services
from qinqing.cases.models import Licence
from qinqing.cases.pdf import licence_pdf
from qinqing.cases.signing import verify
from qinqing.cases.tests.support import enterprise, form_data, reviewer_of, submit
from qinqing.catalog.models import Matter

pytestmark = pytest.mark.django_db

MANUFACTURER = 1
CONTRACTOR = "浙江钱江建设集团有限公司"
PROJECT = "年产80万台智能网关生产基地项目"


@pytest.fixture
def permit() -> Licence:
    matter = Matter.objects.get(code="JW-002")
    case = submit(enterprise(MANUFACTURER), matter, form_data(
        matter, project_name=PROJECT, contractor=CONTRACTOR, contractor_manager="陈志强", contract_price="6800.00"))
    services.approve_case(case=case, reviewer=reviewer_of(matter), note="符合要求")
    return Licence.objects.get(case=case)


def test_every_matter_declares_the_fields_its_licence_states_and_they_exist():
    for matter in Matter.objects.online().prefetch_related("fields"):
        keys = {f.key for f in matter.fields.all()}
        assert set(matter.licence_fields) <= keys, matter.code


def test_the_construction_permit_states_project_site_and_contractor_in_its_signed_payload(permit):
    stated = {f["key"]: f["value"] for f in permit.payload["fields"]}
    assert stated["project_name"] == PROJECT
    assert stated["contractor"] == CONTRACTOR
    assert stated["land_location"]  # the site, from the land contract
    assert stated["contract_price"] == "6800.00 万元"
    assert verify(permit.payload, permit.signature)
    tampered = {**permit.payload, "fields": [{**f, "value": "别的施工单位"} if f["key"] == "contractor" else f
                                             for f in permit.payload["fields"]]}
    assert not verify(tampered, permit.signature)


def test_the_pdf_shows_the_licensed_facts(permit):
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(licence_pdf(permit))).pages)
    for label in ("项目名称", "施工单位", "建设地址"):
        assert label in text
    assert CONTRACTOR in text


def test_the_public_verify_page_and_api_show_the_licensed_facts(permit):
    page = Client().get(f"/verify/{permit.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "施工单位" in page and CONTRACTOR in page and PROJECT in page
    body = Client().get(f"/api/v1/licences/{permit.number}/verify").json()
    assert {"key": "contractor", "label": "施工单位", "value": CONTRACTOR} in body["fields"]
