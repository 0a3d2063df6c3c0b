"""The domain events: typed, frozen, versioned; JSON-friendly fields only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, TypeVar


class Subject(TypedDict):
    """Whom an event concerns: an enterprise's USCC and its region code (either may be empty)."""

    enterprise: str
    region: str


# ---- the events --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. Subclasses declare NAME and VERSION and only JSON-friendly fields.

    `enterprise` (USCC) and `region` (region code) say whom it concerns; both may be empty.
    """

    NAME: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    enterprise: str = ""
    region: str = ""

    def payload(self) -> dict[str, Any]:
        """The event's own fields (without enterprise and region, which have columns)."""
        out: dict[str, Any] = {}
        for f in _fields(type(self)):
            value = getattr(self, f)
            out[f] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_row(cls, payload: dict[str, Any], *, enterprise: str, region: str) -> DomainEvent:
        """Rebuild an event from its outbox row."""
        names = _fields(cls)  # kept per class: a consumer rebuilds thousands of events per batch
        values: dict[str, Any] = {}
        for key, value in payload.items():
            if key not in names:
                continue  # a field a later version dropped
            values[key] = tuple(value) if isinstance(value, list) else value
        return cls(enterprise=enterprise, region=region, **values)


@dataclass(frozen=True, kw_only=True)
class CaseSubmitted(DomainEvent):
    """An application reached a department: submitted by the enterprise, or a 一件事 step started."""

    NAME = "case.submitted"
    case_id: int
    number: str
    matter: str
    bundle: str = ""
    parent_id: int | None = None
    acting_for: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseDecided(DomainEvent):
    """A case was approved or rejected, by its rules (`automatic`) or by a reviewer."""

    NAME = "case.decided"
    case_id: int
    number: str
    matter: str
    outcome: str  # "approved" | "rejected"
    automatic: bool = False
    parent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CaseClosed(DomainEvent):
    """A case reached a closed status (approved, rejected, withdrawn, cancelled, completed, closed)."""

    NAME = "case.closed"
    case_id: int
    status: str
    parent_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class LicenceIssued(DomainEvent):
    """An e-licence was issued; `issued_at` ISO date-time, `valid_until` ISO date or empty."""

    NAME = "licence.issued"
    licence_id: int
    number: str
    matter: str
    title: str
    case_id: int
    issued_at: str
    valid_until: str = ""


@dataclass(frozen=True, kw_only=True)
class LicenceRevoked(DomainEvent):
    """An e-licence was revoked; verification reports it revoked from now on."""

    NAME = "licence.revoked"
    licence_id: int
    number: str
    matter: str
    title: str
    issued_at: str
    valid_until: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EnterpriseRegistered(DomainEvent):
    """An enterprise got its account on the platform."""

    NAME = "enterprise.registered"
    name: str


@dataclass(frozen=True, kw_only=True)
class EnterpriseFactsChanged(DomainEvent):
    """Government data about one enterprise changed: which sources, which `source.field`s.

    `created`: the enterprise had no record in these sources before. Such an event names no fields (`fields` is
    empty): everything the new records hold is new, and a consumer that needs it reads the records. A registry
    import of a province writes millions of these; listing the ten registry fields made each ~400 bytes.
    """

    NAME = "enterprise.facts_changed"
    sources: tuple[str, ...]
    fields: tuple[str, ...]  # the changed `source.field`s; empty when `created`
    created: bool = False


@dataclass(frozen=True, kw_only=True)
class AuthorisationGranted(DomainEvent):
    """An enterprise authorised a government agent (代办员) to act for it."""

    NAME = "authorisation.granted"
    authorisation_id: int
    agent: str
    scope: str
    expires_at: str


@dataclass(frozen=True, kw_only=True)
class AuthorisationRevoked(DomainEvent):
    """An enterprise withdrew an agent's authorisation."""

    NAME = "authorisation.revoked"
    authorisation_id: int
    agent: str


@dataclass(frozen=True, kw_only=True)
class EmployeesEnrolled(DomainEvent):
    """A roster's employees were enrolled in social insurance (职工参保登记/增员), all at once."""

    NAME = "employees.enrolled"
    case_id: int
    roster_id: int
    count: int
    sha256: str


# ---- the service desk (亲清D小二): `item` is "conversation" or "work_order" -----------------------

@dataclass(frozen=True, kw_only=True)
class DeskAssigned(DomainEvent):
    """A chat or work order was offered to or taken by a D小二 (`taken`: ownership under 首问责任)."""

    NAME = "servicedesk.assigned"
    item: str
    item_id: int
    staff: str
    taken: bool = False


@dataclass(frozen=True, kw_only=True)
class DeskHandedOver(DomainEvent):
    """A hand-over was asked (`status` pending), accepted or declined."""

    NAME = "servicedesk.handed_over"
    item: str
    item_id: int
    from_staff: str
    to_staff: str
    status: str


@dataclass(frozen=True, kw_only=True)
class DeskReplied(DomainEvent):
    """A reply in a chat (D小二 or assistant), a file attached, or a reply on a work order; `seconds` the response
    time counted by its clock. An enterprise's own chat text is its `Message` row, not an event."""

    NAME = "servicedesk.replied"
    item: str
    item_id: int
    author: str  # enterprise (a file) | assistant | staff
    staff: str = ""
    first: bool = False
    seconds: int | None = None
    on_time: bool | None = None


@dataclass(frozen=True, kw_only=True)
class DeskPaused(DomainEvent):
    """An item's clock paused (`resumed` False) or resumed."""

    NAME = "servicedesk.paused"
    item: str
    item_id: int
    state: str
    resumed: bool = False


@dataclass(frozen=True, kw_only=True)
class DeskEscalated(DomainEvent):
    """A warning, a breach (level 1 督办, level 2 chief), an urge (催办) or a manual escalation."""

    NAME = "servicedesk.escalated"
    item: str
    item_id: int
    kind: str
    level: int
    to_staff: str = ""


@dataclass(frozen=True, kw_only=True)
class DeskClosed(DomainEvent):
    """A chat closed or a work order resolved; `staff` its owner."""

    NAME = "servicedesk.closed"
    item: str
    item_id: int
    staff: str = ""


@dataclass(frozen=True, kw_only=True)
class DeskRated(DomainEvent):
    """The enterprise rated a closed item on the five official levels."""

    NAME = "servicedesk.rated"
    item: str
    item_id: int
    level: str
    staff: str = ""
    closure: int = 1


@dataclass(frozen=True, kw_only=True)
class PolicyPublished(DomainEvent):
    """A policy (version) was published: matching runs over the registry, 免申即享 pays."""

    NAME = "policy.published"
    policy_id: int
    version_id: int
    code: str
    mode: str
    department: str


@dataclass(frozen=True, kw_only=True)
class PolicySimulated(DomainEvent):
    """An officer simulated a policy over the registry: how many qualify, at what cost."""

    NAME = "policy.simulated"
    policy_id: int
    version_id: int
    qualifying: int
    total: str


@dataclass(frozen=True, kw_only=True)
class EntitlementGranted(DomainEvent):
    """An enterprise is owed money under a policy version for a period."""

    NAME = "entitlement.granted"
    entitlement_id: int
    policy_id: int
    version_id: int
    period: str
    amount: str
    mode: str


@dataclass(frozen=True, kw_only=True)
class PayoutStatusChanged(DomainEvent):
    """A payout moved: pending, sent to the bank, paid or failed."""

    NAME = "payout.status_changed"
    payout_id: int
    policy_id: int
    reference: str
    amount: str
    status: str


@dataclass(frozen=True, kw_only=True)
class PayoutReversed(DomainEvent):
    """A paid payout was reversed by a new ledger entry (the money returns to the fund pool)."""

    NAME = "payout.reversed"
    payout_id: int
    policy_id: int
    reference: str
    amount: str
    reason: str


# ---- the cockpit's visits (走访): `visit_id` the task, `due_at` ISO date-time ---------------------

@dataclass(frozen=True, kw_only=True)
class VisitRaised(DomainEvent):
    """A visit task was raised: by a new registration's prompt (`origin` prompt) or by staff (manual)."""

    NAME = "visit.raised"
    visit_id: int
    origin: str
    due_at: str
    assignee: str = ""
    capital: str = ""


@dataclass(frozen=True, kw_only=True)
class VisitRecorded(DomainEvent):
    """A visit took place and was written down: the day, the topics talked about."""

    NAME = "visit.recorded"
    visit_id: int
    record_id: int
    visited_on: str
    topics: tuple[str, ...] = ()
    staff: str = ""


@dataclass(frozen=True, kw_only=True)
class VisitClosed(DomainEvent):
    """A visit task was closed; `on_time` whether before its due time."""

    NAME = "visit.closed"
    visit_id: int
    on_time: bool = True
    staff: str = ""


@dataclass(frozen=True, kw_only=True)
class VisitOverdue(DomainEvent):
    """A visit task passed its due time still open (emitted once per task)."""

    NAME = "visit.overdue"
    visit_id: int
    due_at: str
    assignee: str = ""


_FIELD_NAMES: dict[type[DomainEvent], tuple[str, ...]] = {}


def _fields(cls: type[DomainEvent]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("enterprise", "region"))
        _FIELD_NAMES[cls] = names
    return names


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.NAME: cls for cls in (
        CaseSubmitted, CaseDecided, CaseClosed, LicenceIssued, LicenceRevoked, EnterpriseRegistered,
        EnterpriseFactsChanged, AuthorisationGranted, AuthorisationRevoked, EmployeesEnrolled,
        DeskAssigned, DeskHandedOver, DeskReplied, DeskPaused, DeskEscalated, DeskClosed, DeskRated,
        PolicyPublished, PolicySimulated, EntitlementGranted, PayoutStatusChanged, PayoutReversed,
        VisitRaised, VisitRecorded, VisitClosed, VisitOverdue,
    )
}

E = TypeVar("E", bound=DomainEvent)
