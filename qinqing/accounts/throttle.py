"""Login throttling that an attacker can neither bypass nor turn against the account's owner.

Every attempt (login page and API token) is one `LoginAttempt` row keyed by the normalised
username and the client address from `core.net.client_address` (X-Forwarded-For only through
`QINQING_TRUSTED_PROXIES`). Three counters over the last hour decide:

- **per account, across addresses**: after `QINQING_LOGIN_FAILURE_LIMIT` failures since the
  account's last success, each further attempt waits a delay that doubles with every failure
  (30 s, 1 min, 2 min … at most 15 min), whatever address it comes from;
- **per address, across accounts**: after `QINQING_LOGIN_ADDRESS_LIMIT` failures, the same
  doubling delay (1 min … at most 1 h) for any account tried from that address;
- **password spray**: failures for `QINQING_LOGIN_SPRAY_ACCOUNTS` different accounts from one
  address refuse that address for an hour after its last failure; logged and audited.

No counter is a flat lock of the account: the owner passes at any time with a one-time code
texted to the account's registered mobile (through the notifications SMS backend), and the
delay ends by itself. Refused attempts check no password and are not counted, so retries by the
owner never lengthen the wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qinqing.accounts.errors import InvalidCredentials
from qinqing.accounts.models import LoginAttempt, SmsCode, User
from qinqing.accounts.recovery import CodeInvalid, check_code, clean_mobile, send_code, use_code
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.errors import DomainError
from qinqing.core.net import client_address

log = logging.getLogger("qinqing.security")

WINDOW = dt.timedelta(hours=1)
ACCOUNT_BASE = dt.timedelta(seconds=30)
ACCOUNT_CAP = dt.timedelta(minutes=15)
ADDRESS_BASE = dt.timedelta(minutes=1)
ADDRESS_CAP = dt.timedelta(hours=1)
SPRAY_BLOCK = dt.timedelta(hours=1)


class LoginThrottled(DomainError):
    """Too many failures for this account or from this address: wait, or log in with an SMS code."""

    status_code = 429
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after: int, reason: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason


@dataclass(frozen=True)
class Assessment:
    """How long an attempt for this account from this address must wait, and why."""

    account_wait: int = 0
    address_wait: int = 0
    spray: bool = False

    @property
    def wait(self) -> int:
        return max(self.account_wait, self.address_wait)

    @property
    def reason(self) -> str:
        if self.spray:
            return "spray"
        return "account" if self.account_wait >= self.address_wait else "address"


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def backoff(failures: int, *, limit: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """The delay after `failures` failures: none below `limit`, then `base` doubling up to `cap`."""
    if failures < limit:
        return dt.timedelta(0)
    delay: dt.timedelta = base * 2 ** min(failures - limit, 20)
    return min(cap, delay)


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def assess(*, username: str, ip: str | None, now: dt.datetime | None = None) -> Assessment:
    """Read the counters for one attempt (no write)."""
    now = now or timezone.now()
    since = now - WINDOW
    mine = LoginAttempt.objects.filter(username=username, at__gte=since)
    last_success = mine.filter(succeeded=True).aggregate(at=Max("at"))["at"]
    failures = mine.filter(succeeded=False)
    if last_success is not None:
        failures = failures.filter(at__gt=last_success)
    account = failures.aggregate(n=Count("id"), last=Max("at"))
    account_wait = 0
    if account["n"]:
        delay = backoff(account["n"], limit=_limit("QINQING_LOGIN_FAILURE_LIMIT", 5),
                        base=ACCOUNT_BASE, cap=ACCOUNT_CAP)
        account_wait = _seconds_until(account["last"] + delay, now) if delay else 0
    address_wait, spray = 0, False
    if ip:
        here = LoginAttempt.objects.filter(ip=ip, at__gte=since, succeeded=False).aggregate(
            n=Count("id"), last=Max("at"), accounts=Count("username", distinct=True))
        if here["n"]:
            spray = here["accounts"] >= _limit("QINQING_LOGIN_SPRAY_ACCOUNTS", 8)
            delay = SPRAY_BLOCK if spray else backoff(
                here["n"], limit=_limit("QINQING_LOGIN_ADDRESS_LIMIT", 20), base=ADDRESS_BASE, cap=ADDRESS_CAP)
            address_wait = _seconds_until(here["last"] + delay, now) if delay else 0
            spray = spray and address_wait > 0
    return Assessment(account_wait=account_wait, address_wait=address_wait, spray=spray)


def _refusal(assessment: Assessment) -> LoginThrottled:
    minutes = max(1, math.ceil(assessment.wait / 60))
    wait = ngettext("about %(n)d minute", "about %(n)d minutes", minutes) % {"n": minutes}
    if assessment.reason == "account":
        message = _("Too many wrong passwords for this account: try again in %(wait)s, "
                    "or log in now with a code texted to the account's registered mobile.") % {"wait": wait}
    else:
        message = _("Too many failed logins from your network: try again in %(wait)s, "
                    "or log in now with a code texted to the account's registered mobile.") % {"wait": wait}
    return LoginThrottled(message, retry_after=assessment.wait, reason=assessment.reason)


def _record_failure(*, username: str, ip: str | None, now: dt.datetime) -> None:
    """Store a failure (committed even though the caller then refuses); audit a spray once when it starts."""
    with events.atomic():
        attempt = LoginAttempt.objects.create(username=username[:150], ip=ip, at=now, succeeded=False)
        if not ip:
            return
        accounts = (LoginAttempt.objects.filter(ip=ip, at__gte=now - WINDOW, succeeded=False)
                    .values("username").distinct().count())
        if accounts == _limit("QINQING_LOGIN_SPRAY_ACCOUNTS", 8):
            log.warning("password spray from %s: failed logins for %d accounts within an hour", ip, accounts)
            record_event(actor=None, action="login.spray_detected", obj=attempt,
                         after={"ip": ip, "accounts": accounts})


def log_in(*, request: HttpRequest | None, username: str, password: str, code: str = "") -> User:
    """Authenticate one attempt under the throttle; raise LoginThrottled, CodeInvalid or InvalidCredentials.

    With `code` (an SMS code asked for with `send_login_code`) the throttle's delays are passed;
    the password is still required.
    """
    now = timezone.now()
    ip = client_address(request) if request is not None else None
    row: SmsCode | None = None
    if code.strip():
        row = check_code(purpose=SmsCode.Purpose.LOGIN, login=username, code=code)
    else:
        assessment = assess(username=username, ip=ip, now=now)
        if assessment.wait:
            raise _refusal(assessment)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        _record_failure(username=username, ip=ip, now=now)
        raise InvalidCredentials(_("Wrong account or password."))
    with events.atomic():
        if row is not None:
            use_code(row)
            record_event(actor=user, action="account.login_with_sms_code", obj=user, after={"ip": ip})
        LoginAttempt.objects.create(username=username[:150], ip=ip, at=now, succeeded=True,
                                    second_factor=row is not None)
    return user


def send_login_code(*, login: str, ip: str | None) -> None:
    """Text a login code to the registered mobile of `login`, if it has one; the answer never tells."""
    user = User.objects.filter(username=login, is_active=True).first()
    phone = user.phone if user is not None else ""
    try:
        phone = clean_mobile(phone) if phone else ""
    except DomainError:
        phone = ""
    send_code(purpose=SmsCode.Purpose.LOGIN, login=login, phone=phone, user=user if phone else None, ip=ip)


def prune_attempts(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete attempts older than `older_than` (kept a month as the login log); return how many."""
    deleted, _ = LoginAttempt.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted


__all__ = ["Assessment", "CodeInvalid", "LoginThrottled", "assess", "backoff", "log_in",
           "prune_attempts", "send_login_code"]
