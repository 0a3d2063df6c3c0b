"""Sign-up of an enterprise by its legal representative, checked against the market registry (issue 8 §5)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client, override_settings

from qinqing.accounts.models import Enterprise, SmsCode, User
from qinqing.core.models import OutboxEvent
from qinqing.datahub.services import import_records
from qinqing.datahub.tests.support import new_uscc, registry_row
from qinqing.notifications.backends import LogBackend
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Binjiang#2026ok"
MOBILE = "13957100001"


@pytest.fixture
def sms():
    LogBackend.sent.clear()
    with override_settings(QINQING_SMS_BACKEND="qinqing.notifications.backends.LogBackend"):
        yield LogBackend.sent
    LogBackend.sent.clear()


def _registered(seed: int = 801, **changes) -> str:
    uscc = new_uscc(seed)
    import_records(source_code="market_registry", rows=[registry_row(uscc, **changes)], actor="test")
    return uscc


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _step1(client: Client, uscc: str, **changes):
    form = {"uscc": uscc, "name": "杭州测试科技有限公司", "legal_representative": "张三", "phone": MOBILE, **changes}
    return client.post("/accounts/signup/", form)


def test_the_legal_representative_signs_up_and_lands_on_the_desk(sms):
    uscc = _registered()
    page = Client()
    typed = uscc.lower()[:9] + " " + uscc.lower()[9:]  # as people type it
    response = _step1(page, typed, name="杭州测试科技有限公司 ", phone="+86 139-5710-0001")
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/verify/", _text(response)[:400]
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", next(body for addr, _t, body in sms if addr == MOBILE)).group(1)
    shown = page.get("/accounts/signup/verify/")
    assert "139****0001" in _text(shown)
    done = page.post("/accounts/signup/verify/", {"code": code, "password": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/my/"
    user = User.objects.get(username=uscc)
    assert user.phone == MOBILE and user.check_password(PASSWORD)
    assert user.enterprise is not None and user.enterprise.name == "杭州测试科技有限公司"
    assert OutboxEvent.objects.filter(name="enterprise.registered", enterprise=uscc).count() == 1
    assert SmsCode.objects.get(login=uscc).used_at is not None
    assert page.get("/my/").status_code == 200, "logged in"


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "杭州别人的公司"}, "name"),
    ({"legal_representative": "李四"}, "legal_representative"),
    ({"phone": "12345"}, "phone"),
])
def test_details_that_do_not_match_the_registry_are_named_per_field_and_nothing_is_sent(sms, changes, field):
    uscc = _registered()
    response = _step1(Client(), uscc, **changes)
    assert response.status_code == 422
    assert 'id="e-' + field + '"' in response.content.decode()
    assert not sms and not SmsCode.objects.exists()


@pytest.mark.parametrize("status", ["注销", "吊销"])
def test_an_enterprise_no_longer_in_business_cannot_sign_up(sms, status):
    uscc = _registered(status=status)
    response = _step1(Client(), uscc)
    assert response.status_code == 422
    assert status in _text(response)
    assert not sms


def test_a_code_the_registry_does_not_hold_or_an_existing_account_is_refused(sms):
    assert _step1(Client(), new_uscc(802)).status_code == 422
    existing = _step1(Client(), demo_uscc(0))
    assert existing.status_code == 422
    assert not sms


def test_a_wrong_sms_code_creates_nothing(sms):
    uscc = _registered()
    page = Client()
    _step1(page, uscc)
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms[-1][2]).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = page.post("/accounts/signup/verify/", {"code": wrong, "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 422
    assert not Enterprise.objects.filter(uscc=uscc).exists()
