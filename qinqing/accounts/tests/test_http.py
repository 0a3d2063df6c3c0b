import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from qinqing.accounts.errors import NotAuthenticated
from qinqing.accounts.http import optional_user, request_user
from qinqing.accounts.models import User

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_request_user_returns_the_logged_in_user():
    user = User.objects.create_user(username="http-helper", password="x")
    assert request_user(_request(user)) == user
    assert optional_user(_request(user)) == user


def test_an_anonymous_visitor_has_no_user_and_is_refused_with_401():
    request = _request(AnonymousUser())
    assert optional_user(request) is None
    with pytest.raises(NotAuthenticated) as caught:
        request_user(request)
    assert caught.value.status_code == 401


def test_an_inactive_user_counts_as_anonymous():
    user = User.objects.create_user(username="http-gone", password="x", is_active=False)
    assert optional_user(_request(user)) is None
