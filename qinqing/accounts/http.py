"""The user behind a request, typed: pages and endpoints never read `request.user` untyped."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.accounts.errors import NotAuthenticated
from qinqing.accounts.models import User


def optional_user(request: HttpRequest) -> User | None:
    """Return the logged-in user, or None for an anonymous visitor."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def request_user(request: HttpRequest) -> User:
    """Return the logged-in user; refuse an anonymous one (401 through the API's error mapping).

    Pages reach this behind `login_required` and endpoints behind bearer authentication, so the
    refusal only guards a wiring mistake.
    """
    user = optional_user(request)
    if user is None:
        raise NotAuthenticated(_("Log in first."))
    return user
