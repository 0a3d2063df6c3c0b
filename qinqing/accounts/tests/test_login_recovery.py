"""Login as people actually type (issue 8 §5): normalised codes, a forgotten password by SMS, a password change."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from qinqing.accounts import recovery
from qinqing.accounts.models import SmsCode, User
from qinqing.audit.models import AuditRecord
from qinqing.core.ids import USCC_ALPHABET
from qinqing.notifications.backends import LogBackend
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Qinqing@2026"
NEW_PASSWORD = "Hangzhou#2027go"
SANDBOX = "qinqing.notifications.backends.LogBackend"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _login(username: str, password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response


@pytest.fixture
def sms() -> Iterator[list[tuple[str, str, str]]]:
    """The sandbox SMS backend's outbox, emptied for the test."""
    LogBackend.sent.clear()
    with override_settings(QINQING_SMS_BACKEND=SANDBOX):
        yield LogBackend.sent
    LogBackend.sent.clear()


def _code_sent_to(sms: list[tuple[str, str, str]], phone: str) -> str:
    bodies = [body for address, _title, body in sms if address == phone]
    assert bodies, f"no SMS to {phone}: {sms}"
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", bodies[-1])
    assert found, bodies[-1]
    return found.group(1)


# ---- the code as people type it ------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    lambda c: full_width(c),  # a Chinese input method
    lambda c: c.lower(),
    lambda c: f" {c[:6]} {c[6:12]} {c[12:]} ",
    lambda c: full_width(c[:9]).lower() + "\u3000" + c[9:].lower(),
], ids=["full-width", "lower case", "spaces", "mixed"])
def test_an_enterprise_logs_in_with_its_code_typed_any_way(typed):
    code = demo_uscc(0)
    client, response = _login(typed(code))
    assert response.status_code == 302, html.unescape(response.content.decode())[:500]
    assert client.session.get("_auth_user_id") == str(User.objects.get(username=code).pk)


def test_the_api_token_takes_the_code_typed_any_way():
    code = demo_uscc(0)
    response = Client().post("/api/v1/auth/token", {"username": full_width(code.lower()), "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200, response.json()


def test_a_wrong_check_character_says_the_code_is_invalid_not_that_passwords_are_case_sensitive():
    code = demo_uscc(0)
    wrong = code[:17] + next(c for c in USCC_ALPHABET if c != code[17])
    _client, response = _login(wrong)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "check character" in text or "校验" in text
    assert "invalid" in text or "无效" in text or "有误" in text
    assert "case-sensitive" not in text and "区分大小写" not in text


def test_staff_still_log_in_with_their_username():
    _client, response = _login("rsj_reviewer")
    assert response.status_code == 302


# ---- forgotten password by SMS ---------------------------------------------------------------


def test_a_forgotten_password_is_reset_with_a_code_texted_to_the_registered_mobile(sms):
    user = User.objects.get(username=demo_uscc(0))
    page = Client()
    response = page.post("/accounts/password/forgot/", {"login": full_width(user.username.lower())})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/"
    code = _code_sent_to(sms, user.phone)
    row = SmsCode.objects.get(login=user.username)
    assert code not in row.code_hash and len(row.code_hash) == 64, "only a keyed hash is stored"
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    response = page.post("/accounts/password/reset/", {"code": code, "password": NEW_PASSWORD,
                                                       "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditRecord.objects.filter(action="account.password_reset", object_id=str(user.pk)).count() == 1
    again = Client().post("/accounts/password/reset/", {"login": user.username, "code": code,
                                                        "password": "Another#Pass99", "password2": "Another#Pass99"})
    assert again.status_code == 422, "a code is good once"


def test_an_unknown_account_gets_the_same_answer_and_no_sms(sms):
    unknown = Client().post("/accounts/password/forgot/", {"login": "nobody_here"})
    known = Client().post("/accounts/password/forgot/", {"login": demo_uscc(1)})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(sms) == 1, "only the real account's mobile gets a text"
    with pytest.raises(recovery.CodeInvalid):
        recovery.reset_password(login="nobody_here", code="000000", password=NEW_PASSWORD)


def test_wrong_codes_are_limited_and_the_right_one_then_no_longer_works(sms):
    user = User.objects.get(username=demo_uscc(0))
    recovery.request_password_reset(login=user.username)
    code = _code_sent_to(sms, user.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _attempt in range(recovery.MAX_ATTEMPTS):
        with pytest.raises(recovery.CodeInvalid):
            recovery.reset_password(login=user.username, code=wrong, password=NEW_PASSWORD)
    with pytest.raises(recovery.CodeInvalid) as refused:
        recovery.reset_password(login=user.username, code=code, password=NEW_PASSWORD)
    assert "new code" in str(refused.value.message) or "重新" in str(refused.value.message)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_an_expired_code_is_refused(sms):
    user = User.objects.get(username=demo_uscc(0))
    recovery.request_password_reset(login=user.username)
    code = _code_sent_to(sms, user.phone)
    SmsCode.objects.filter(login=user.username).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(recovery.CodeInvalid):
        recovery.reset_password(login=user.username, code=code, password=NEW_PASSWORD)


def test_requests_are_throttled_per_login_whether_or_not_it_exists(sms):
    for login in (demo_uscc(0), "nobody_here"):
        recovery.request_password_reset(login=login)
        with pytest.raises(recovery.CodeThrottled):
            recovery.request_password_reset(login=login)
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    recovery.request_password_reset(login=demo_uscc(0))  # a minute later: allowed again
    page = Client().post("/accounts/password/forgot/", {"login": demo_uscc(0)})
    assert page.status_code == 422
    assert "wait" in page.content.decode() or "秒" in html.unescape(page.content.decode())


def test_a_weak_new_password_is_refused_per_field_and_the_code_still_works(sms):
    user = User.objects.get(username=demo_uscc(0))
    recovery.request_password_reset(login=user.username)
    code = _code_sent_to(sms, user.phone)
    with pytest.raises(Exception) as refused:
        recovery.reset_password(login=user.username, code=code, password="12345678")
    assert "password" in getattr(refused.value, "errors", {})
    recovery.reset_password(login=user.username, code=code, password=NEW_PASSWORD)


# ---- the staff password change -------------------------------------------------------------------


def test_staff_change_their_password_on_a_page_in_the_site_layout():
    user = User.objects.get(username="rsj_reviewer")
    page = Client()
    page.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    shown = page.get("/accounts/password/change/")
    assert shown.status_code == 200
    assert 'class="top"' in shown.content.decode(), "the site layout"
    wrong = page.post("/accounts/password/change/", {"old_password": "nope", "password": NEW_PASSWORD,
                                                     "password2": NEW_PASSWORD})
    assert wrong.status_code == 422
    done = page.post("/accounts/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD,
                                                    "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/review/", "back on the reviewer's desk"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert page.get("/review/").status_code == 200, "still logged in after the change"
    assert AuditRecord.objects.filter(action="account.password_changed", object_id=str(user.pk)).exists()
