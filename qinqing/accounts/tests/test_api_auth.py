"""Bearer tokens: issue, refuse, expire; every protected operation refuses anonymous callers."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import ApiToken, LoginAttempt
from qinqing.accounts.services import issue_token
from qinqing.cases.tests.support import PASSWORD, enterprise

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def _token(client: Client, username: str, password: str):
    return client.post(TOKEN_URL, {"username": username, "password": password}, content_type="application/json")


def _error_body(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}, body
    assert isinstance(body["errors"], dict)
    return body


def test_enterprise_gets_a_token_with_its_uscc_and_the_token_opens_its_cases():
    user = enterprise(0)
    response = _token(Client(), user.username, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token"]
    assert dt.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    cases = Client(headers={"Authorization": f"Bearer {body['token']}"}).get("/api/v1/cases")
    assert cases.status_code == 200


def test_token_endpoint_accepts_a_lower_case_uscc():
    user = enterprise(0)
    assert re.search(r"[A-Z]", user.username), "demo code without letters cannot show case-folding"
    response = _token(Client(), user.username.lower(), PASSWORD)
    assert response.status_code == 200


def test_token_is_stored_only_as_a_hash():
    user = enterprise(0)
    key = _token(Client(), user.username, PASSWORD).json()["token"]
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert ApiToken.objects.filter(user=user).exists()


def test_wrong_password_is_refused_with_401_and_the_error_body():
    response = _token(Client(), enterprise(0).username, "not-the-password")
    assert response.status_code == 401
    body = _error_body(response)
    assert body["code"] == "invalid_credentials"
    assert body["detail"]


def test_unknown_user_is_refused_with_401():
    response = _token(Client(), "nobody-at-all", PASSWORD)
    assert response.status_code == 401
    assert _error_body(response)["code"] == "invalid_credentials"


def test_expired_token_is_refused_with_401():
    key, _ = issue_token(user=enterprise(0))
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/cases")
    assert response.status_code == 401
    assert _error_body(response)["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_a_deactivated_user_is_refused():
    user = enterprise(0)
    key, _ = issue_token(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/cases").status_code == 401


def test_made_up_token_is_refused():
    response = Client(headers={"Authorization": "Bearer made-up"}).get("/api/v1/cases")
    assert response.status_code == 401


def _secured_operations() -> list[tuple[str, str]]:
    from qinqing.api import api

    schema = api.get_openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if operation.get("security"):
                found.append((method.upper(), path))
    return found


def _concrete(path: str) -> str:
    path = path.replace("{case_id}", "1").replace("{material_id}", "1")
    return re.sub(r"\{[^}]+\}", "X", path)


def test_schema_declares_security_on_the_protected_operations():
    operations = {(m, p.removeprefix("/api/v1")) for m, p in _secured_operations()}
    assert ("POST", "/cases") in operations
    assert ("GET", "/review/queue") in operations
    assert ("POST", "/cases/{case_id}/decision") in operations
    assert {(m, p) for m, p in operations if p.startswith("/auth")} == {("DELETE", "/auth/token"), ("GET", "/auth/tokens")}


@pytest.mark.parametrize(("method", "path"), _secured_operations())
@pytest.mark.parametrize("authorization", [None, "Bearer expired"])
def test_every_protected_operation_refuses_anonymous_and_expired_callers(method, path, authorization):
    headers = {}
    if authorization:
        key, _ = issue_token(user=enterprise(0))
        ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        headers["Authorization"] = f"Bearer {key}"
    client = Client(headers=headers)
    response = client.generic(method, _concrete(path), data=json.dumps({}), content_type="application/json")
    assert response.status_code == 401, (method, path, response.content[:200])
    assert _error_body(response)["code"] == "unauthenticated"


# ----------------------------------------------------------------------------- throttling


def test_token_endpoint_locks_out_after_repeated_failures_even_for_the_right_password(settings):
    assert settings.QINQING_LOGIN_FAILURE_LIMIT == 5
    user = enterprise(2)
    client = Client()
    statuses = [_token(client, user.username, f"wrong-{i}").status_code for i in range(6)]
    assert statuses[:4] == [401] * 4
    assert 429 in statuses[4:], statuses
    locked = _token(client, user.username, PASSWORD)
    assert locked.status_code == 429
    assert _error_body(locked)["code"] == "login_throttled"
    assert int(locked["Retry-After"]) > 0
    assert LoginAttempt.objects.filter(username=user.username, succeeded=False).count() == 5


def test_every_answer_of_the_token_endpoint_during_a_lockout_is_json():
    client = Client()
    for i in range(7):
        response = _token(client, "automatic", f"wrong-{i}")
        assert response["Content-Type"].startswith("application/json"), (i, response.status_code)
        assert _error_body(response)["code"] in {"invalid_credentials", "login_throttled"}


def test_lockout_does_not_spill_over_to_another_account():
    client = Client()
    for i in range(6):
        _token(client, enterprise(2).username, f"wrong-{i}")
    assert _token(client, enterprise(3).username, PASSWORD).status_code == 200


def test_login_page_shows_the_locked_page_after_repeated_failures():
    user = enterprise(3)
    client = Client()
    for i in range(5):
        response = client.post("/accounts/login/", {"username": user.username, "password": f"wrong-{i}"})
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "accounts/locked.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_login_page_logs_an_enterprise_in_with_its_uscc():
    user = enterprise(0)
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username.lower(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# ----------------------------------------------------------------------------- malformed requests


def _token_documented() -> set[int]:
    from qinqing.api import api

    return {int(c) for c in api.get_openapi_schema()["paths"][TOKEN_URL]["post"]["responses"]}


def test_token_endpoint_answers_an_unparseable_body_with_a_documented_status():
    response = Client().post(TOKEN_URL, "\x00", content_type="application/json")
    assert 400 <= response.status_code < 500
    _error_body(response)
    assert response.status_code in _token_documented()


def test_token_endpoint_answers_a_broken_multipart_request_with_a_json_error():
    response = Client().post(TOKEN_URL, json.dumps({"username": "x", "password": "y"}),
                             content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
    assert response.status_code in _token_documented()
    assert response["Content-Type"].startswith("application/json")
    _error_body(response)


def test_token_endpoint_refuses_missing_fields_with_422():
    response = Client().post(TOKEN_URL, {"username": enterprise(0).username}, content_type="application/json")
    assert response.status_code == 422
    assert "password" in _error_body(response)["errors"]


def test_reviewer_gets_a_token_with_the_staff_username():
    from qinqing.accounts.models import User

    reviewer = User.objects.filter(username__endswith="_reviewer").order_by("username").first()
    response = _token(Client(), reviewer.username, PASSWORD)
    assert response.status_code == 200
    queue = Client(headers={"Authorization": f"Bearer {response.json()['token']}"}).get("/api/v1/review/queue")
    assert queue.status_code == 200


def test_login_page_never_redirects_to_another_site():
    client = Client()
    response = client.post("/accounts/login/?next=https://evil.example/phish",
                           {"username": enterprise(0).username, "password": PASSWORD,
                            "next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(("language", "words"), [("zh-hans", "无法解析请求体"), ("en", "cannot be parsed")])
def test_a_body_that_is_not_json_gets_a_translated_400(language, words):
    response = Client(headers={"Accept-Language": language}).post(
        TOKEN_URL, b"\xff\xfe not json {", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert words in response.json()["detail"]
