"""Bearer tokens end when they should: logout, password change, deactivation, expiry; old ones are pruned."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from qinqing.accounts import recovery
from qinqing.accounts.models import ApiToken, LoginAttempt, User
from qinqing.accounts.services import deactivate_user, issue_token, prune_tokens
from qinqing.audit.models import AuditRecord
from qinqing.cases.tests.support import PASSWORD, enterprise

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hangzhou#2027go"


def _bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def _works(key: str) -> bool:
    status = _bearer(key).get("/api/v1/cases").status_code
    assert status in (200, 401)
    return status == 200


def test_logout_ends_the_token_sent_and_no_other():
    user = enterprise(0)
    first, _ = issue_token(user=user)
    second, _ = issue_token(user=user)
    assert _bearer(first).delete("/api/v1/auth/token").status_code == 204
    assert not _works(first)
    assert _works(second)
    assert _bearer(first).delete("/api/v1/auth/token").status_code == 401
    assert AuditRecord.objects.filter(action="token.revoked").count() == 1


def test_the_token_list_shows_only_ones_own_live_tokens_and_never_a_key():
    user, other = enterprise(0), enterprise(1)
    mine, _ = issue_token(user=user)
    issue_token(user=user)
    issue_token(user=other)
    issue_token(user=user)
    newest = ApiToken.objects.filter(user=user).order_by("-id")[0]
    ApiToken.objects.filter(pk=newest.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    listed = _bearer(mine).get("/api/v1/auth/tokens").json()
    assert len(listed) == 2
    assert [t["current"] for t in listed].count(True) == 1
    assert all(set(t) == {"id", "created_at", "expires_at", "current"} for t in listed)
    assert mine not in str(listed)
    assert {t["id"] for t in listed} <= set(ApiToken.objects.filter(user=user).values_list("id", flat=True))


def test_changing_the_password_on_the_page_ends_every_token():
    user = enterprise(0)
    key, _ = issue_token(user=user)
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/password/change/", {"old_password": PASSWORD, "password": NEW_PASSWORD,
                                                         "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _works(key)
    assert AuditRecord.objects.filter(action="token.revoked_all", object_id=str(user.pk)).exists()


def test_a_password_set_anywhere_else_ends_every_token_too():
    user = enterprise(0)
    key, _ = issue_token(user=user)
    user.set_password(NEW_PASSWORD)  # the admin's form, `changepassword`, a script
    user.save()
    assert not _works(key)


def test_a_password_reset_by_sms_ends_every_token(settings):
    settings.QINQING_SMS_BACKEND = "qinqing.notifications.backends.LogBackend"
    from qinqing.notifications.backends import LogBackend

    user = enterprise(0)
    user.phone = "13812345678"
    user.save(update_fields=["phone"])
    key, _ = issue_token(user=user)
    LogBackend.sent.clear()
    recovery.request_password_reset(login=user.username)
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", LogBackend.sent[-1][2])
    assert found is not None
    code = found.group(1)
    recovery.reset_password(login=user.username, code=code, password=NEW_PASSWORD)
    assert not _works(key)


def test_deactivating_a_login_revokes_its_tokens():
    user = enterprise(0)
    key, _ = issue_token(user=user)
    deactivate_user(user=user, actor=None)
    assert ApiToken.objects.get(user=user).revoked_at is not None
    User.objects.filter(pk=user.pk).update(is_active=True)  # even if reactivated, the old token stays dead
    assert not _works(key)


def test_deactivating_a_login_in_the_admin_revokes_its_tokens():
    admin = User.objects.create_superuser("root_admin", password=PASSWORD)
    user = enterprise(1)
    key, _ = issue_token(user=user)
    client = Client()
    client.force_login(admin)
    form = client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert form.status_code == 200
    data = {k: v for k, v in form.context["adminform"].form.initial.items() if v is not None}
    data.update({"username": user.username, "kind": user.kind, "roles": "[]", "date_joined_0": "2026-01-01",
                 "date_joined_1": "00:00:00", "is_active": ""})
    data.pop("is_active")
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert not _works(key)


def test_prune_deletes_old_expired_and_revoked_tokens_and_old_attempts():
    user = enterprise(0)
    live, _ = issue_token(user=user)
    issue_token(user=user)
    issue_token(user=user)
    old = timezone.now() - dt.timedelta(days=8)
    ids = list(ApiToken.objects.filter(user=user).order_by("id").values_list("id", flat=True))
    ApiToken.objects.filter(pk=ids[1]).update(expires_at=old)
    ApiToken.objects.filter(pk=ids[2]).update(revoked_at=old)
    LoginAttempt.objects.create(username="x", ip="198.51.100.1", at=timezone.now() - dt.timedelta(days=40))
    LoginAttempt.objects.create(username="x", ip="198.51.100.1", at=timezone.now())
    call_command("prunetokens")
    assert list(ApiToken.objects.filter(user=user).values_list("id", flat=True)) == [ids[0]]
    assert LoginAttempt.objects.count() == 1
    assert _works(live)
    assert prune_tokens() == 0
