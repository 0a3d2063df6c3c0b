"""Create enterprises and staff; issue and resolve API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.errors import USCC_REASONS, AccountInvalid
from qinqing.accounts.models import ApiToken, Authorisation, Department, Enterprise, Role, User
from qinqing.accounts.tokens import live_token
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.errors import Forbidden
from qinqing.core.events import AuthorisationGranted, AuthorisationRevoked, EnterpriseRegistered, Subject
from qinqing.core.ids import InvalidUSCC, looks_like_uscc, validate_uscc
from qinqing.core.text import check_visible
from qinqing.regions.models import Region


def clean_uscc(raw: str) -> str:
    """Return the canonical code or raise AccountInvalid naming the field `uscc`."""
    try:
        return validate_uscc(raw)
    except InvalidUSCC as exc:
        raise AccountInvalid(_("Invalid unified social credit code."), errors={"uscc": [USCC_REASONS[exc.reason]]}) from exc


def login_name(raw: str) -> str:
    """The username to look up for what someone typed at login.

    A USCC typed with a Chinese input method (full-width), with spaces or in lower case is
    normalised; a staff username is only stripped. Raise InvalidUSCC when the text is meant as a
    code (letters and digits, mostly digits) but is not a valid one and no login has that name.
    """
    text = raw.strip()
    if not looks_like_uscc(text):
        return text
    try:
        return validate_uscc(text)
    except InvalidUSCC:
        if User.objects.filter(username=text).exists():
            return text
        raise


def _visible(field: str, value: str) -> None:
    try:
        check_visible(value)
    except ValueError as exc:
        raise AccountInvalid(str(exc), errors={field: [str(exc)]}) from exc


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountInvalid(_("The password is too weak."), errors={"password": list(exc.messages)}) from exc


def _region(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise AccountInvalid(_("Unknown region."), errors={"region": [_("No region has code %(code)s.") % {"code": code}]})
    return region


def _about(enterprise: Enterprise) -> Subject:
    region = enterprise.region
    return {"enterprise": enterprise.uscc, "region": region.code if region is not None else ""}


def create_enterprise(
    *, uscc: str, name: str, password: str, region: str | None = None, phone: str = "", email: str = "",
    actor: User | None = None,
) -> User:
    """Register an enterprise and its login (username = the USCC)."""
    code = clean_uscc(uscc)
    if not name.strip():
        raise AccountInvalid(_("The enterprise name is required."), errors={"name": [_("This field is required.")]})
    _visible("name", name)
    region_obj = _region(region)
    _check_password(password)
    with events.atomic():
        if Enterprise.objects.filter(uscc=code).exists():
            raise AccountInvalid(_("This enterprise is already registered."), errors={"uscc": [_("Already registered.")]})
        enterprise = Enterprise.objects.create(uscc=code, name=name.strip(), region=region_obj)
        user = User(username=code, kind=User.Kind.ENTERPRISE, enterprise=enterprise, display_name=name.strip(),
                    phone=phone, email=email)
        user.set_password(password)
        user.save()
        record_event(actor=actor, action="enterprise.created", obj=enterprise, after={"uscc": code, "name": name})
        events.emit(EnterpriseRegistered(name=enterprise.name, enterprise=code,
                                         region=region_obj.code if region_obj else ""))
    return user


def create_staff(
    *, username: str, password: str, department: str | None, roles: Iterable[str], region: str | None = None,
    display_name: str = "", phone: str = "", email: str = "", actor: User | None = None,
) -> User:
    """Create a government staff login with its department, roles and region scope."""
    role_list = [r.strip() for r in roles if r.strip()]
    unknown = [r for r in role_list if r not in Role.values]
    if unknown:
        raise AccountInvalid(_("Unknown role."), errors={"roles": [", ".join(unknown)]})
    dept = None
    if department:
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise AccountInvalid(_("Unknown department."), errors={"department": [department]})
    if not username.strip():
        raise AccountInvalid(_("The username is required."), errors={"username": [_("This field is required.")]})
    _visible("username", username)
    _visible("display_name", display_name)
    region_obj = _region(region)
    _check_password(password)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AccountInvalid(_("This username is taken."), errors={"username": [_("Already taken.")]})
        user = User(username=username, kind=User.Kind.STAFF, department=dept, roles=role_list, region=region_obj,
                    display_name=display_name, phone=phone, email=email)
        user.set_password(password)
        user.save()
        record_event(actor=actor, action="staff.created", obj=user,
                     after={"username": username, "department": department, "roles": role_list})
    return user


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(*, user: User) -> tuple[str, dt.datetime]:
    """Create a bearer token for a user who has just authenticated."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(hours=settings.QINQING_TOKEN_TTL_HOURS)
    ApiToken.objects.create(user=user, key_hash=_hash(key), expires_at=expires_at,
                            password_stamp=user.get_session_auth_hash())
    return key, expires_at


def token_for_key(key: str) -> ApiToken | None:
    """Return the live token for a key: unexpired, not revoked, its owner active with the same password."""
    # The ORM's select_related("user", "user__enterprise", "user__enterprise__region", "user__department")
    # .filter(key_hash=…, expires_at__gt=now, revoked_at__isnull=True).first(), its SQL composed once per process.
    token = live_token(_hash(key), timezone.now())
    if token is None or not token.user.is_active or not token.password_stamp:
        return None
    if not hmac.compare_digest(token.password_stamp, token.user.get_session_auth_hash()):
        return None
    return token


def user_for_token(key: str) -> User | None:
    """Return the active user owning a live token, or None."""
    token = token_for_key(key)
    return token.user if token is not None else None


def live_tokens(*, user: User) -> models.QuerySet[ApiToken]:
    """One's own tokens that still open the API, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now(), revoked_at__isnull=True,
                                   password_stamp=user.get_session_auth_hash()).order_by("-created_at", "-id")


def revoke_token(*, user: User, key: str) -> None:
    """Log out of the API: the token of this request stops working at once."""
    with events.atomic():
        token = ApiToken.objects.select_for_update().filter(key_hash=_hash(key), user=user).first()
        if token is None or token.revoked_at is not None:
            return
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor=user, action="token.revoked", obj=user, after={"token": token.pk, "reason": "logout"})


def revoke_tokens(*, user: User, reason: str, actor: User | None = None) -> int:
    """End every live token of `user` (password changed, account deactivated); audited; return how many."""
    with events.atomic():
        count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if count:
            record_event(actor=actor or user, action="token.revoked_all", obj=user,
                         after={"tokens": count, "reason": reason})
    return count


def deactivate_user(*, user: User, actor: User | None) -> User:
    """Deactivate a login: it can no longer log in, and its API tokens are revoked."""
    with events.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        record_event(actor=actor, action="account.deactivated", obj=user, after={"username": user.username})
        revoke_tokens(user=user, reason="deactivated", actor=actor)
    return user


def prune_tokens(*, keep: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Delete tokens expired or revoked more than `keep` ago; return how many."""
    cutoff = timezone.now() - keep
    deleted, _ = ApiToken.objects.filter(models.Q(expires_at__lt=cutoff) | models.Q(revoked_at__lt=cutoff)).delete()
    return deleted


def grant_authorisation(*, granted_by: User, agent: User, scope: str = "", days: int = 365) -> Authorisation:
    """An enterprise authorises a government agent (代办员) to act for it; recorded and audited."""
    if not granted_by.is_enterprise or granted_by.enterprise is None:
        raise AccountInvalid(_("Only an enterprise account can authorise an agent."),
                             errors={"agent": [_("Only an enterprise account can authorise an agent.")]})
    if not agent.is_agent or not agent.is_active:
        raise AccountInvalid(_("Choose a government agent."), errors={"agent": [_("Choose a government agent.")]})
    if not 1 <= days <= 3 * 365:
        raise AccountInvalid(_("Choose a period of 1 day to 3 years."),
                             errors={"days": [_("Choose a period of 1 day to 3 years.")]})
    with events.atomic():
        authorisation = Authorisation.objects.create(
            enterprise=granted_by.enterprise, agent=agent, scope=scope.strip(), granted_by=granted_by,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record_event(actor=granted_by, action="authorisation.granted", obj=authorisation,
                     after={"agent": agent.username, "scope": authorisation.scope,
                            "expires_at": authorisation.expires_at.isoformat()})
        events.emit(AuthorisationGranted(
            authorisation_id=authorisation.pk, agent=agent.username, scope=authorisation.scope,
            expires_at=authorisation.expires_at.isoformat(), **_about(granted_by.enterprise),
        ))
    return authorisation


def revoke_authorisation(*, authorisation: Authorisation, user: User) -> Authorisation:
    """The enterprise withdraws an agent's authorisation; the agent can no longer act for it."""
    if not user.is_superuser and (not user.is_enterprise or user.enterprise_id != authorisation.enterprise_id):
        raise Forbidden(_("Only the enterprise that granted it may revoke an authorisation."))
    with events.atomic():
        authorisation = Authorisation.objects.select_for_update().get(pk=authorisation.pk)
        if authorisation.revoked_at is not None:
            return authorisation
        authorisation.revoked_at = timezone.now()
        authorisation.revoked_by = user
        authorisation.save()
        record_event(actor=user, action="authorisation.revoked", obj=authorisation,
                     before={"revoked_at": None}, after={"revoked_at": authorisation.revoked_at.isoformat()})
        events.emit(AuthorisationRevoked(authorisation_id=authorisation.pk, agent=authorisation.agent.username,
                                         **_about(authorisation.enterprise)))
    return authorisation


def active_authorisation(*, agent: User, enterprise: Enterprise, bundle_code: str = "") -> Authorisation | None:
    """The agent's current authorisation from an enterprise covering a bundle, if any."""
    for authorisation in Authorisation.objects.active().filter(agent=agent, enterprise=enterprise):
        if not bundle_code or authorisation.covers(bundle_code):
            return authorisation
    return None
