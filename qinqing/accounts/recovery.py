"""One-time SMS codes, the forgotten password, the password change.

Codes go out through the notifications SMS backend (`notifications.backends.backend_for("sms")`;
the sandbox backend logs them). A code is six digits, stored only as a keyed hash, valid for
`CODE_TTL`, good for `MAX_ATTEMPTS` tries, and requests are throttled per login and per address.
Every answer to a reset request is the same whether or not the account exists (no enumeration).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.errors import AccountInvalid
from qinqing.accounts.models import LoginAttempt, SmsCode, User
from qinqing.accounts.services import login_name, revoke_tokens
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.errors import DomainError
from qinqing.core.ids import InvalidUSCC
from qinqing.notifications.backends import backend_for

CODE_TTL = dt.timedelta(minutes=int(getattr(settings, "QINQING_SMS_CODE_TTL_MINUTES", 10)))
MAX_ATTEMPTS = int(getattr(settings, "QINQING_SMS_CODE_ATTEMPTS", 5))
RESEND_AFTER = dt.timedelta(seconds=int(getattr(settings, "QINQING_SMS_CODE_INTERVAL_SECONDS", 60)))
PER_LOGIN_PER_HOUR = int(getattr(settings, "QINQING_SMS_CODES_PER_LOGIN_HOUR", 5))
PER_ADDRESS_PER_HOUR = int(getattr(settings, "QINQING_SMS_CODES_PER_ADDRESS_HOUR", 20))

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class CodeThrottled(DomainError):
    status_code = 429
    code = "too_many_codes"


class CodeInvalid(DomainError):
    status_code = 422
    code = "code_invalid"


def clean_mobile(raw: str) -> str:
    """A mainland mobile number as typed (full-width, spaces, dashes, +86) → 11 digits; else AccountInvalid.

    A small private validator for the sign-up and reset pages (the typed form fields have their own).
    """
    text = unicodedata.normalize("NFKC", raw or "")
    digits = re.sub(r"[\s\-()]", "", text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if not _MOBILE.match(digits):
        raise AccountInvalid(_("Enter a valid mobile number."),
                             errors={"phone": [_("A mobile number has 11 digits and starts with 1, e.g. 13812345678.")]})
    return digits


def masked(phone: str) -> str:
    """138****5678."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _digest(purpose: str, login: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}\x1f{login}\x1f{code}".encode(), hashlib.sha256).hexdigest()


def _throttle(purpose: str, login: str, ip: str | None, now: dt.datetime) -> None:
    recent = SmsCode.objects.filter(purpose=purpose, created_at__gte=now - dt.timedelta(hours=1))
    mine = recent.filter(login=login)
    last = mine.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last)).total_seconds()) + 1
        raise CodeThrottled(_("A code was sent moments ago: wait %(seconds)d seconds before asking again.")
                            % {"seconds": wait})
    if mine.count() >= PER_LOGIN_PER_HOUR or (ip and recent.filter(ip=ip).count() >= PER_ADDRESS_PER_HOUR):
        raise CodeThrottled(_("Too many codes were requested: try again in an hour."))


def send_code(*, purpose: str, login: str, phone: str, user: User | None = None, ip: str | None = None) -> SmsCode:
    """Store a fresh code and text it to `phone`; without a phone a row is still written, nothing is sent.

    Raise CodeThrottled when the login or the address asked too often. The SMS is sent inside the
    transaction: a backend failure stores nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        _throttle(purpose, login, ip, now)
        code = f"{secrets.randbelow(10**6):06d}"
        row = SmsCode.objects.create(
            purpose=purpose, login=login, user=user, phone=phone, ip=ip or None, created_at=now,
            expires_at=now + CODE_TTL, code_hash=_digest(purpose, login, code) if phone else "",
        )
        if phone:
            minutes = int(CODE_TTL.total_seconds() // 60)
            backend_for("sms").send(
                address=phone, title=_("Qinqing Online verification code"),
                body=_("Your Qinqing Online verification code is %(code)s, valid for %(minutes)d minutes. "
                       "Do not share it with anyone.") % {"code": code, "minutes": minutes},
            )
    return row


def check_code(*, purpose: str, login: str, code: str) -> SmsCode:
    """Count one attempt at the latest live code of `login` (committed even when wrong); return it if right.

    Call outside any service transaction, so that a wrong guess is counted.
    """
    typed = re.sub(r"\s", "", unicodedata.normalize("NFKC", code or ""))
    with transaction.atomic():
        row = (SmsCode.objects.select_for_update()
               .filter(purpose=purpose, login=login, used_at__isnull=True, expires_at__gt=timezone.now())
               .order_by("-created_at", "-id").first())
        if row is None:
            ok = False
        elif row.attempts >= MAX_ATTEMPTS:
            raise CodeInvalid(_("Too many wrong codes: ask for a new code."), errors={"code": [_("Ask for a new code.")]})
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
            ok = bool(row.code_hash) and hmac.compare_digest(row.code_hash, _digest(purpose, login, typed))
    if not ok or row is None:
        raise CodeInvalid(_("The code is wrong or has expired."),
                          errors={"code": [_("The code is wrong or has expired.")]})
    return row


def use_code(row: SmsCode) -> None:
    """Mark a checked code used (inside the caller's transaction); a code is good once."""
    fresh = SmsCode.objects.select_for_update().get(pk=row.pk)
    if fresh.used_at is not None:
        raise CodeInvalid(_("The code is wrong or has expired."),
                          errors={"code": [_("The code is wrong or has expired.")]})
    fresh.used_at = timezone.now()
    fresh.save(update_fields=["used_at"])


def check_password_strength(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountInvalid(_("The password is too weak."), errors={"password": list(exc.messages)}) from exc


def _reset_login(raw: str) -> str:
    try:
        return login_name(raw)
    except InvalidUSCC:
        return raw.strip()  # answered like any unknown login


def request_password_reset(*, login: str, ip: str | None = None) -> None:
    """Text a reset code to the account's registered mobile, if there is such an account with a mobile.

    The caller answers the same in every case; only throttling (per login, per address) is told.
    """
    name = _reset_login(login)
    if not name:
        raise AccountInvalid(_("Enter your unified social credit code or username."),
                             errors={"login": [_("This field is required.")]})
    user = User.objects.filter(username=name, is_active=True).first()
    phone = user.phone if user is not None else ""
    try:
        phone = clean_mobile(phone) if phone else ""
    except AccountInvalid:
        phone = ""
    send_code(purpose=SmsCode.Purpose.PASSWORD_RESET, login=name, phone=phone,
              user=user if phone else None, ip=ip)


def reset_password(*, login: str, code: str, password: str) -> User:
    """Set a new password with a valid reset code; the code is used up and the account's lock-out lifted."""
    name = _reset_login(login)
    row = check_code(purpose=SmsCode.Purpose.PASSWORD_RESET, login=name, code=code)
    user = row.user
    if user is None or not user.is_active:
        raise CodeInvalid(_("The code is wrong or has expired."),
                          errors={"code": [_("The code is wrong or has expired.")]})
    check_password_strength(password, user)
    with events.atomic():
        use_code(row)
        SmsCode.objects.filter(purpose=row.purpose, login=name, used_at__isnull=True).update(used_at=timezone.now())
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(actor=user, action="account.password_reset", obj=user, after={"via": "sms", "code": row.pk})
        revoke_tokens(user=user, reason="password_reset")
    _lift_lockout(user.username)
    return user


def change_password(*, user: User, old_password: str, new_password: str) -> User:
    """A logged-in user (staff or enterprise) changes the password, giving the current one."""
    if not user.check_password(old_password):
        raise AccountInvalid(_("The current password is wrong."),
                             errors={"old_password": [_("The current password is wrong.")]})
    check_password_strength(new_password, user)
    with events.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record_event(actor=user, action="account.password_changed", obj=user, after={"username": user.username})
        revoke_tokens(user=user, reason="password_changed")
    return user


def _lift_lockout(username: str) -> None:
    """The owner proved control by SMS: the account's login back-off ends (a success row resets it)."""
    LoginAttempt.objects.create(username=username[:150], ip=None, at=timezone.now(), succeeded=True,
                                second_factor=True)
