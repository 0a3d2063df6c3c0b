"""Login throttling under attack: spoofed X-Forwarded-For, distributed guessing, password spray, victim lock-out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.test import Client, RequestFactory, override_settings

from qinqing.accounts import throttle
from qinqing.accounts.models import LoginAttempt, User
from qinqing.audit.models import AuditRecord
from qinqing.cases.tests.support import PASSWORD, enterprise
from qinqing.core.net import client_address
from qinqing.notifications.backends import LogBackend

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
SANDBOX = "qinqing.notifications.backends.LogBackend"


def _token(username: str, password: str, *, ip: str = "127.0.0.1", xff: str = "", code: str = ""):
    headers = {"X-Forwarded-For": xff} if xff else {}
    body = {"username": username, "password": password, **({"sms_code": code} if code else {})}
    return Client(REMOTE_ADDR=ip, headers=headers).post(TOKEN_URL, body, content_type="application/json")


def _age_attempts(seconds: int) -> None:
    """Move every recorded attempt back in time, as if `seconds` had passed."""
    for row in LoginAttempt.objects.all():
        row.at -= dt.timedelta(seconds=seconds)
        row.save(update_fields=["at"])


@pytest.fixture(autouse=True)
def slow_machine_proof_delays(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine may take longer than the first 30 s delay for 40 requests: start at 10 minutes.

    The test of the doubling itself keeps the real figures.
    """
    if "doubles" not in request.node.name:
        monkeypatch.setattr(throttle, "ACCOUNT_BASE", dt.timedelta(minutes=10))


@pytest.fixture
def sms() -> Iterator[list[tuple[str, str, str]]]:
    LogBackend.sent.clear()
    with override_settings(QINQING_SMS_BACKEND=SANDBOX):
        yield LogBackend.sent
    LogBackend.sent.clear()


def _with_phone(user: User, phone: str = "13812345678") -> User:
    user.phone = phone
    user.save(update_fields=["phone"])
    return user


def _last_code(sms: list[tuple[str, str, str]], phone: str) -> str:
    bodies = [body for address, _title, body in sms if address == phone]
    assert bodies, sms
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", bodies[-1])
    assert found
    return found.group(1)


# ---- the client's address ------------------------------------------------------------------------


def _request(remote: str, xff: str = ""):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if xff:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return request


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.QINQING_TRUSTED_PROXIES = []
    assert client_address(_request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.QINQING_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_a_trusted_proxy_gives_the_client_and_entries_the_client_wrote_are_skipped(settings):
    settings.QINQING_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # the client sent "1.1.1.1" itself; the balancer appended the real peer 203.0.113.9
    assert client_address(_request("10.0.0.2", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    # two trusted hops
    assert client_address(_request("10.0.0.2", "1.1.1.1, 203.0.113.9, 10.0.0.7")) == "203.0.113.9"


def test_a_malformed_forwarded_entry_stops_at_the_last_trusted_hop(settings):
    settings.QINQING_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "203.0.113.9, not-an-ip")) == "10.0.0.2"


def test_a_bad_trusted_proxy_setting_stops_the_start():
    from django.core.exceptions import ImproperlyConfigured

    from qinqing.core.net import parse_networks

    with pytest.raises(ImproperlyConfigured):
        parse_networks(["10.0.0.0/8", "load-balancer"])


def test_qinqing_serve_tells_uvicorn_not_to_believe_forwarded_headers(monkeypatch):
    import uvicorn

    from qinqing.web.management.commands import serve

    seen: dict[str, object] = {}
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.update(k))
    serve.Command()._serve([], {"host": "127.0.0.1", "port": 8999, "workers": 1, "no_demo": True,
                                "no_worker": True})
    assert seen["proxy_headers"] is False
    assert seen["forwarded_allow_ips"] == ""


# ---- attacks on one account ------------------------------------------------------------------------


def test_a_fresh_x_forwarded_for_per_attempt_is_still_throttled():
    user = enterprise(2)
    statuses = [_token(user.username, f"wrong-{i}", xff=f"198.51.100.{i}").status_code for i in range(40)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}, statuses
    assert _token(user.username, PASSWORD, xff="203.0.113.200").status_code == 429
    assert LoginAttempt.objects.filter(username=user.username, succeeded=False).count() == 5, \
        "refused attempts check no password and are not counted"


def test_a_throttled_account_is_refused_from_a_new_address_and_with_a_new_forwarded_for_admin_too():
    admin = User.objects.create_superuser("root_admin", password=PASSWORD)
    for i in range(5):
        assert _token(admin.username, f"wrong-{i}", ip="198.51.100.1").status_code == 401
    assert _token(admin.username, PASSWORD, ip="198.51.100.2", xff="203.0.113.1").status_code == 429
    page = Client(REMOTE_ADDR="198.51.100.3", headers={"X-Forwarded-For": "203.0.113.2"}).post(
        "/accounts/login/", {"username": admin.username, "password": PASSWORD})
    assert page.status_code == 429


def test_the_delay_doubles_with_each_failure_and_ends_by_itself():
    user = enterprise(2)
    for i in range(5):
        _token(user.username, f"wrong-{i}")
    first = int(_token(user.username, PASSWORD)["Retry-After"])
    assert 25 <= first <= 30
    _age_attempts(31)
    assert _token(user.username, "wrong-again").status_code == 401
    second = int(_token(user.username, PASSWORD)["Retry-After"])
    assert 55 <= second <= 60
    _age_attempts(61)
    assert _token(user.username, PASSWORD).status_code == 200


def test_the_delay_never_exceeds_fifteen_minutes():
    base = dt.timedelta(seconds=30)  # the real first delay (the fixture above lengthens ACCOUNT_BASE)
    assert throttle.backoff(4, limit=5, base=base, cap=throttle.ACCOUNT_CAP) == dt.timedelta(0)
    delays = [throttle.backoff(n, limit=5, base=base, cap=throttle.ACCOUNT_CAP)
              for n in range(5, 200)]
    assert delays[:3] == [dt.timedelta(seconds=30), dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert max(delays) == dt.timedelta(minutes=15)


def test_a_third_party_sharing_nothing_cannot_lock_the_owner_out(sms):
    victim = _with_phone(enterprise(2))
    for i in range(30):  # an attacker from its own addresses, all night long
        _token(victim.username, f"guess-{i}", ip=f"198.51.100.{i % 5 + 1}")
    assert _token(victim.username, PASSWORD, ip="203.0.113.50").status_code == 429
    asked = Client(REMOTE_ADDR="203.0.113.50").post(f"{TOKEN_URL}/code", {"username": victim.username},
                                                    content_type="application/json")
    assert asked.status_code == 202
    code = _last_code(sms, victim.phone)
    answer = _token(victim.username, PASSWORD, ip="203.0.113.50", code=code)
    assert answer.status_code == 200, answer.content
    assert AuditRecord.objects.filter(action="account.login_with_sms_code").exists()
    # the owner's success ends the account's back-off: the attacker starts from zero again
    assert throttle.assess(username=victim.username, ip="203.0.113.50").wait == 0


def test_the_sms_code_does_not_replace_the_password(sms):
    victim = _with_phone(enterprise(2))
    for i in range(6):
        _token(victim.username, f"guess-{i}", ip="198.51.100.1")
    Client().post(f"{TOKEN_URL}/code", {"username": victim.username}, content_type="application/json")
    code = _last_code(sms, victim.phone)
    assert _token(victim.username, "still-wrong", code=code).status_code == 401


def test_a_made_up_sms_code_is_refused_and_does_not_pass_the_throttle():
    victim = enterprise(2)
    for i in range(6):
        _token(victim.username, f"guess-{i}", ip="198.51.100.1")
    assert _token(victim.username, PASSWORD, code="123456").status_code == 422


def test_the_owner_logs_in_on_the_page_with_a_texted_code_while_the_account_is_throttled(sms):
    victim = _with_phone(enterprise(3))
    for i in range(6):
        _token(victim.username, f"guess-{i}", ip="198.51.100.1")
    browser = Client(REMOTE_ADDR="203.0.113.60")
    locked = browser.post("/accounts/login/", {"username": victim.username, "password": PASSWORD})
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'class="top"' in page, "the site layout"
    assert "/accounts/login/code/" in page and "/help/#login-help" in page
    assert browser.get("/help/").status_code == 200
    assert browser.post("/accounts/login/code/", {"username": victim.username}).status_code == 302
    form = browser.get("/accounts/login/")
    assert 'name="code"' in form.content.decode()
    code = _last_code(sms, victim.phone)
    done = browser.post("/accounts/login/", {"username": victim.username, "password": PASSWORD, "code": code})
    assert done.status_code == 302
    assert browser.session["_auth_user_id"] == str(victim.pk)


def test_a_password_reset_by_sms_ends_the_back_off(sms):
    from qinqing.accounts import recovery

    victim = _with_phone(enterprise(2))
    for i in range(6):
        _token(victim.username, f"guess-{i}", ip="198.51.100.1")
    recovery.request_password_reset(login=victim.username)
    recovery.reset_password(login=victim.username, code=_last_code(sms, victim.phone), password="Hangzhou#2027go")
    assert _token(victim.username, "Hangzhou#2027go").status_code == 200


# ---- attacks across accounts ---------------------------------------------------------------------------


def test_a_password_spray_from_one_address_is_caught_and_audited(settings):
    settings.QINQING_LOGIN_SPRAY_ACCOUNTS = 8
    targets = [f"staff_{i}" for i in range(8)] + [enterprise(0).username, enterprise(1).username]
    answers = [_token(name, "Spring2026!", ip="198.51.100.66").status_code for name in targets]
    assert answers[:8] == [401] * 8
    assert answers[8:] == [429, 429]
    assert _token(targets[9], PASSWORD, ip="198.51.100.66").status_code == 429
    assert AuditRecord.objects.filter(action="login.spray_detected").count() == 1
    # the accounts' owners, elsewhere, are not affected (one failure each is below the limit)
    assert _token(targets[9], PASSWORD, ip="203.0.113.9").status_code == 200


def test_a_spray_with_a_fresh_forwarded_for_per_attempt_is_still_one_address():
    targets = [f"staff_{i}" for i in range(10)]
    answers = [_token(name, "Spring2026!", xff=f"198.51.100.{i}").status_code for i, name in enumerate(targets)]
    assert answers[8:] == [429, 429]


def test_many_failures_from_one_address_on_few_accounts_slow_that_address(settings):
    settings.QINQING_LOGIN_ADDRESS_LIMIT = 6
    settings.QINQING_LOGIN_FAILURE_LIMIT = 100
    a, b = enterprise(0).username, enterprise(1).username
    for i in range(6):
        _token(a if i % 2 else b, f"wrong-{i}", ip="198.51.100.70")
    refused = _token(a, PASSWORD, ip="198.51.100.70")
    assert refused.status_code == 429
    assert _token(a, PASSWORD, ip="198.51.100.71").status_code == 200


def test_behind_a_trusted_balancer_clients_are_told_apart(settings):
    settings.QINQING_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.QINQING_LOGIN_SPRAY_ACCOUNTS = 3
    for i in range(3):
        _token(enterprise(i).username, "Spring2026!", ip="10.0.0.2", xff="198.51.100.66")
    assert _token(enterprise(4).username, PASSWORD, ip="10.0.0.2", xff="198.51.100.66").status_code == 429
    assert _token(enterprise(4).username, PASSWORD, ip="10.0.0.2", xff="203.0.113.5").status_code == 200
    assert LoginAttempt.objects.filter(ip="198.51.100.66").count() == 3


def test_the_admin_login_is_throttled_too():
    admin = User.objects.create_superuser("root_admin", password=PASSWORD)
    client = Client(REMOTE_ADDR="198.51.100.5")
    for i in range(5):
        page = client.post("/admin/login/", {"username": admin.username, "password": f"wrong-{i}"})
        assert page.status_code == 200 and "_auth_user_id" not in client.session
    refused = Client(REMOTE_ADDR="198.51.100.6", headers={"X-Forwarded-For": "203.0.113.3"}).post(
        "/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in refused.wsgi_request.session
    assert LoginAttempt.objects.filter(username=admin.username, succeeded=False).count() == 5
