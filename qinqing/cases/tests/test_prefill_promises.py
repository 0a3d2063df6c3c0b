"""What a field's help text promises comes from data; an account without registry data gets what the platform knows."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from qinqing.accounts.services import create_enterprise
from qinqing.cases.formdata import prefill_value
from qinqing.cases.queries import prefill_for
from qinqing.cases.tests.support import session_client
from qinqing.catalog.models import FormField, Matter
from qinqing.core.ids import generate_uscc
from qinqing.datahub.queries import facts_for
from qinqing.web.demo import ENTERPRISES, demo_uscc

pytestmark = pytest.mark.django_db

FROM_DATA = re.compile(r"由系统|系统比对|系统自动|共享数据|自动带出|自动获取")
MANUFACTURER = 1  # 412 insured employees now; 405 at the start and 412 at the end of last year


def test_every_field_whose_help_says_it_comes_from_data_is_prefilled_for_an_enterprise_holding_that_data():
    promised = [f for f in FormField.objects.select_related("matter") if FROM_DATA.search(f.help_text)]
    assert promised, "the catalog promises data-generated fields"
    facts = [facts_for(demo_uscc(i)) for i in range(len(ENTERPRISES))]
    for field in promised:
        assert field.prefill, f"{field} promises data but has no prefill"
        assert any(prefill_value(field, held) is not None for held in facts), f"{field}: no demo enterprise gets a value"


def test_job_retention_refund_takes_the_insured_counts_from_social_insurance():
    prefill = prefill_for(Matter.objects.get(code="RSJ-006"), demo_uscc(MANUFACTURER))
    assert prefill["data"]["insured_start"] == 405
    assert prefill["data"]["insured_end"] == 412
    assert prefill["sources"]["insured_end"]["source"] == "social_insurance"


def _bare_account():
    uscc = generate_uscc(division="330106")
    return create_enterprise(uscc=uscc, name="杭州西溪数智科技有限公司", password="Qinqing@2026"), uscc


def test_an_account_without_registry_record_is_prefilled_with_what_the_platform_knows():
    _user, uscc = _bare_account()
    with translation.override("zh-hans"):
        prefill = prefill_for(Matter.objects.get(code="FGW-004"), uscc)
    names = [k for k, f in prefill["sources"].items() if f["source"] == "platform_account"]
    assert names, prefill
    assert {prefill["data"][k] for k in names} == {"杭州西溪数智科技有限公司", uscc}
    assert {prefill["sources"][k]["source_name"] for k in names} == {"本平台账户信息"}


def test_the_form_says_which_government_data_is_missing():
    user, uscc = _bare_account()
    with translation.override("zh-hans"):
        prefill = prefill_for(Matter.objects.get(code="FGW-001"), uscc)
    missing = {m["source_name"]: m["fields"] for m in prefill["missing"]}
    assert "法定代表人" in missing["市场监管主体登记库"]
    assert "土地出让合同编号" in missing["国有建设用地使用权出让合同"]
    listed = [label for labels in missing.values() for label in labels]
    assert "企业名称" not in listed and "项目单位" not in listed
    page = session_client(user).get("/apply/FGW-001/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="prefill-missing"' in page and "市场监管主体登记库" in page and "本平台账户信息" in page


def test_an_enterprise_the_registry_holds_is_not_labelled_as_platform_data():
    prefill = prefill_for(Matter.objects.get(code="FGW-004"), demo_uscc(0))
    assert all(s["source"] != "platform_account" for s in prefill["sources"].values())
