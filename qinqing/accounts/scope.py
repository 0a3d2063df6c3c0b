"""What one user may read: the scope every `visible_to` is built from, and the role ladder, written once.

A `Scope` is computed once per request user (`scope_of(user)` memoises it on the user object) and is
immutable. A model says how its rows lead to an enterprise, a department, a bundle and a region
(`Owner`); `Scope.q(owner)` walks the ladder and answers one `Q`:

1. anonymous: nothing;
2. superuser: everything;
3. enterprise login: its own enterprise's rows, nothing else;
4. government staff: the union of what each role grants —
   reviewer: the matters of its department;
   agent: the 一件事 of enterprises whose authorisation is active and covers that bundle;
   street, grid or district staff: enterprises registered in its region's subtree (read-only);
   plus whatever the model adds for every staff member (`staff`).
Shared-data records scope themselves on this object in `qinqing.datahub.models.records_q`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from qinqing.accounts.models import Authorisation, Enterprise, Role, User

NOTHING = Q(pk__in=[])
EVERYTHING = Q()
REGIONAL_ROLES = frozenset({Role.STREET_STAFF.value, Role.GRID_STAFF.value, Role.DISTRICT_STAFF.value})

_CACHE_ATTRIBUTE = "_qinqing_scope"


@dataclass(frozen=True)
class AgentGrant:
    """One active authorisation: an enterprise, the bundles it covers (empty: every bundle), until when."""

    enterprise_id: int
    uscc: str
    bundle_codes: frozenset[str]
    expires_at: dt.datetime

    def covers(self, bundle_code: str) -> bool:
        return not self.bundle_codes or bundle_code in self.bundle_codes


@dataclass(frozen=True)
class Owner:
    """How a model's rows lead to the things the ladder scopes by (Django lookups from the model).

    `enterprise` leads to the owning enterprise's id, or to its USCC when `by_uscc`; `department` to the
    department that reviews the row; `bundle` to its 一件事 code (None: an agent reads every row of an
    enterprise that authorised it); `regional` lets street and district staff read it; `staff` is what
    every government staff member may read besides.
    """

    enterprise: str
    by_uscc: bool = False
    department: str | None = None
    bundle: str | None = None
    regional: bool = False
    staff: Q | None = None


ENTERPRISE_OWNER = Owner(enterprise="pk", regional=True)


@dataclass(frozen=True)
class Scope:
    """Who is asking, reduced to what decides what they may read."""

    user_id: int | None = None
    is_authenticated: bool = False
    is_superuser: bool = False
    is_staff_member: bool = False
    enterprise_id: int | None = None
    enterprise_uscc: str = ""
    department_id: int | None = None
    department_code: str = ""
    roles: frozenset[str] = frozenset()
    agent_grants: tuple[AgentGrant, ...] = ()
    region_path: str = ""

    @property
    def is_enterprise(self) -> bool:
        return self.enterprise_id is not None and not self.is_staff_member

    @property
    def is_reviewer(self) -> bool:
        return Role.REVIEWER.value in self.roles and self.department_id is not None

    @property
    def is_agent(self) -> bool:
        return Role.AGENT.value in self.roles

    @property
    def is_regional(self) -> bool:
        return bool(self.region_path) and not self.roles.isdisjoint(REGIONAL_ROLES)

    def active_grants(self) -> tuple[AgentGrant, ...]:
        """The grants not yet expired now (a grant may lapse while a long request runs)."""
        now = timezone.now()
        return tuple(g for g in self.agent_grants if g.expires_at > now)

    def q(self, owner: Owner) -> Q:
        """The role ladder: one `Q` saying which rows of a model this scope may read."""
        if not self.is_authenticated:
            return NOTHING
        if self.is_superuser:
            return EVERYTHING
        if self.is_enterprise:
            key = self.enterprise_uscc if owner.by_uscc else self.enterprise_id
            return Q(**{owner.enterprise: key})
        if not self.is_staff_member:
            return NOTHING
        scope = NOTHING
        if self.is_reviewer and owner.department is not None:
            scope |= Q(**{owner.department: self.department_id})
        if self.is_agent:
            scope |= self._agent_q(owner)
        if self.is_regional and owner.regional:
            scope |= self._enterprises_q(owner, Enterprise.objects.filter(region__path__startswith=self.region_path))
        if owner.staff is not None:
            scope |= owner.staff
        return scope

    def _agent_q(self, owner: Owner) -> Q:
        scope = NOTHING
        for grant in self.active_grants():
            of_enterprise = Q(**{owner.enterprise: grant.uscc if owner.by_uscc else grant.enterprise_id})
            if owner.bundle is None:
                scope |= of_enterprise
            elif grant.bundle_codes:
                scope |= of_enterprise & Q(**{f"{owner.bundle}__in": sorted(grant.bundle_codes)})
            else:
                scope |= of_enterprise & ~Q(**{owner.bundle: ""})
        return scope

    def enterprises(self) -> QuerySet[Enterprise]:
        """The enterprises this scope reads: its own, an agent's authorising ones, a street's or district's."""
        return Enterprise.objects.filter(self.q(ENTERPRISE_OWNER))

    @staticmethod
    def _enterprises_q(owner: Owner, enterprises: QuerySet[Enterprise]) -> Q:
        return Q(**{f"{owner.enterprise}__in": enterprises.values("uscc" if owner.by_uscc else "pk")})


def _grants(user: User) -> tuple[AgentGrant, ...]:
    rows = Authorisation.objects.active().filter(agent=user).select_related("enterprise").order_by("pk")
    return tuple(
        AgentGrant(enterprise_id=a.enterprise_id, uscc=a.enterprise.uscc, bundle_codes=frozenset(a.scope_codes),
                   expires_at=a.expires_at)
        for a in rows
    )


def _region_path(user: User) -> str:
    if user.region_id is None:
        return ""
    return user.region.path if user.region is not None else ""


def build_scope(user: object) -> Scope:
    """Compute a user's scope from the database (prefer `scope_of`, which does it once per user object)."""
    if not getattr(user, "is_authenticated", False) or not isinstance(user, User):
        return Scope()
    staff = user.kind == User.Kind.STAFF
    roles = frozenset(str(r) for r in (user.roles or [])) if staff else frozenset()
    enterprise = user.enterprise if user.enterprise_id is not None and not staff else None
    department = user.department if user.department_id is not None else None
    return Scope(
        user_id=user.pk, is_authenticated=True, is_superuser=user.is_superuser, is_staff_member=staff,
        enterprise_id=enterprise.pk if enterprise is not None else None,
        enterprise_uscc=enterprise.uscc if enterprise is not None else "",
        department_id=department.pk if department is not None else None,
        department_code=department.code if department is not None else "",
        roles=roles,
        agent_grants=_grants(user) if Role.AGENT.value in roles else (),
        region_path=_region_path(user) if not roles.isdisjoint(REGIONAL_ROLES) else "",
    )


def scope_of(user_or_scope: object) -> Scope:
    """The scope of a request user, computed once and kept on the user object; a scope is returned as is."""
    if isinstance(user_or_scope, Scope):
        return user_or_scope
    if not getattr(user_or_scope, "is_authenticated", False):
        return Scope()
    cached = getattr(user_or_scope, _CACHE_ATTRIBUTE, None)
    if isinstance(cached, Scope):
        return cached
    scope = build_scope(user_or_scope)
    with contextlib.suppress(AttributeError):  # an object that takes no attributes: compute again next time
        setattr(user_or_scope, _CACHE_ATTRIBUTE, scope)
    return scope


def forget_scope(user: object) -> None:
    """Drop a user's memoised scope (after granting or revoking an authorisation on the same object)."""
    with contextlib.suppress(AttributeError):
        delattr(user, _CACHE_ATTRIBUTE)
