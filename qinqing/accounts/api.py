"""Tokens for API clients: enterprises log in with their USCC, staff with their username."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from qinqing.accounts import throttle
from qinqing.accounts.errors import USCC_REASONS, AccountInvalid, NotAuthenticated
from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.accounts.services import issue_token, live_tokens, login_name, revoke_token, token_for_key
from qinqing.core.api import ErrorOut
from qinqing.core.ids import InvalidUSCC
from qinqing.core.net import client_address

router = Router(tags=["auth"])

_KEY_ATTRIBUTE = "_qinqing_bearer_key"


class BearerAuth(HttpBearer):
    """Resolve `Authorization: Bearer <token>` to a user (set on request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = token_for_key(token)
        if found is None:
            return None
        request.user = found.user
        setattr(request, _KEY_ATTRIBUTE, token)
        return found.user


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)
    sms_code: str = Field("", max_length=16, description="A login code texted by POST /auth/token/code: "
                                                         "passes the throttle's delay.")


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


class CodeIn(Schema):
    username: str = Field(max_length=64)


class CodeOut(Schema):
    detail: str


class TokenInfo(Schema):
    id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool


def _login_name(raw: str) -> str:
    try:
        return login_name(raw)
    except InvalidUSCC as exc:
        raise AccountInvalid(_("This unified social credit code is invalid: %(reason)s")
                             % {"reason": USCC_REASONS[exc.reason]},
                             errors={"username": [USCC_REASONS[exc.reason]]}) from exc


@router.post("/token", response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut}, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> TokenOut:
    """Exchange a username (an enterprise's USCC) and password for a bearer token.

    After repeated failures (for this account from anywhere, or from this address) the answer is
    429 with `Retry-After`; the owner passes at once by adding `sms_code`.
    """
    user = throttle.log_in(request=request, username=_login_name(body.username), password=body.password,
                           code=body.sms_code)
    key, expires_at = issue_token(user=user)
    return TokenOut(token=key, expires_at=expires_at)


@router.post("/token/code", response={202: CodeOut, 400: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
             auth=None)
def create_login_code(request: HttpRequest, body: CodeIn) -> Status[CodeOut]:
    """Text a login code to the account's registered mobile (same answer whether or not it exists)."""
    throttle.send_login_code(login=_login_name(body.username), ip=client_address(request))
    return Status(202, CodeOut(detail=_("If this account has a registered mobile number, a code was sent to it.")))


@router.delete("/token", response={204: None, 401: ErrorOut})
def delete_token(request: HttpRequest) -> HttpResponse:
    """Log out: the token sent with this request stops working."""
    key = getattr(request, _KEY_ATTRIBUTE, None)
    if not key:
        raise NotAuthenticated(_("Log in first."))
    revoke_token(user=request_user(request), key=key)
    return HttpResponse(status=204)


@router.get("/tokens", response={200: list[TokenInfo], 401: ErrorOut})
def list_tokens(request: HttpRequest) -> list[TokenInfo]:
    """One's own tokens that still work (never the keys: only their dates)."""
    user = request_user(request)
    current = token_for_key(getattr(request, _KEY_ATTRIBUTE, "") or "")
    return [TokenInfo(id=t.pk, created_at=t.created_at, expires_at=t.expires_at,
                      current=current is not None and current.pk == t.pk) for t in live_tokens(user=user)]
