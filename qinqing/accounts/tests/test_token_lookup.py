"""The composed live-token lookup returns exactly what the ORM's select_related query returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.accounts.models import ApiToken, User
from qinqing.accounts.services import _hash, issue_token, token_for_key
from qinqing.accounts.tokens import live_token
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


def _orm(key_hash: str, now: dt.datetime) -> ApiToken | None:
    return (ApiToken.objects.select_related("user", "user__enterprise", "user__enterprise__region", "user__department")
            .filter(key_hash=key_hash, expires_at__gt=now, revoked_at__isnull=True).first())


def _values(obj: Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _same(key: str, now: dt.datetime) -> ApiToken | None:
    expected, found = _orm(_hash(key), now), live_token(_hash(key), now)
    assert _values(found) == _values(expected)
    if expected is None:
        return found
    assert found is not None
    assert _values(found.user) == _values(expected.user)
    assert _values(found.user.enterprise) == _values(expected.user.enterprise)
    assert _values(found.user.department) == _values(expected.user.department)
    if expected.user.enterprise is not None and found.user.enterprise is not None:
        assert _values(found.user.enterprise.region) == _values(expected.user.enterprise.region)
    return found


def test_the_composed_lookup_equals_the_orm_query_for_enterprise_and_staff_tokens():
    enterprise_user = User.objects.get(username=demo_uscc(0))
    staff = User.objects.filter(kind=User.Kind.STAFF, department__isnull=False).first()
    assert staff is not None
    now = timezone.now()
    for user in (enterprise_user, staff):
        key, _expires = issue_token(user=user)
        found = _same(key, now)
        assert found is not None and found.user.pk == user.pk
        region = user.enterprise.region if user.enterprise is not None else None
        enterprise, department = user.enterprise, user.department
        with CaptureQueriesContext(connection) as queries:
            assert found.user.enterprise == enterprise and found.user.department == department
            if found.user.enterprise is not None:
                assert found.user.enterprise.region == region
        assert not queries.captured_queries, "everything was loaded by the one query"


def test_expired_revoked_and_unknown_tokens_are_not_found():
    user = User.objects.get(username=demo_uscc(1))
    key, expires = issue_token(user=user)
    assert _same(key, expires + dt.timedelta(seconds=1)) is None
    assert _same("no such key", timezone.now()) is None
    ApiToken.objects.filter(key_hash=_hash(key)).update(revoked_at=timezone.now())
    assert _same(key, timezone.now()) is None
    assert token_for_key(key) is None


def test_a_password_change_or_a_deactivation_still_ends_the_token():
    user = User.objects.get(username=demo_uscc(2))
    key, _expires = issue_token(user=user)
    assert token_for_key(key) is not None
    user.set_password("Another@2026pass")
    user.save()
    assert token_for_key(key) is None
    key, _expires = issue_token(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert token_for_key(key) is None

