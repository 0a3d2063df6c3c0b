"""Tokens for API clients: enterprises log in with their USCC, staff with their username."""

from __future__ import annotations

import datetime as dt

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from qinqing.accounts.errors import USCC_REASONS, AccountInvalid, InvalidCredentials
from qinqing.accounts.models import User
from qinqing.accounts.services import issue_token, login_name, user_for_token
from qinqing.core.api import ErrorOut
from qinqing.core.errors import DomainError
from qinqing.core.ids import InvalidUSCC

router = Router(tags=["auth"])


class BearerAuth(HttpBearer):
    """Resolve `Authorization: Bearer <token>` to a user (set on request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


class LockedOut(DomainError):
    status_code = 429
    code = "locked_out"


@router.post("/token", response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut}, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> TokenOut:
    """Exchange a username (an enterprise's USCC) and password for a bearer token."""
    try:
        username = login_name(body.username)
    except InvalidUSCC as exc:
        raise AccountInvalid(_("This unified social credit code is invalid: %(reason)s")
                             % {"reason": USCC_REASONS[exc.reason]},
                             errors={"username": [USCC_REASONS[exc.reason]]}) from exc
    credentials = {"username": username}
    if AxesProxyHandler.is_locked(request, credentials):
        raise LockedOut(_("Too many failed attempts; try again later."))
    user = authenticate(request, username=username, password=body.password)
    if user is None:
        raise InvalidCredentials(_("Wrong account or password."))
    key, expires_at = issue_token(user=user)
    return TokenOut(token=key, expires_at=expires_at)
