"""Visit tasks (走访): raised by a new registration's prompt or by staff, recorded at the door, closed, overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, User
from qinqing.audit.services import record_event
from qinqing.cockpit.errors import VisitConflict, VisitInvalid
from qinqing.cockpit.locate import Located, locate, locate_for
from qinqing.cockpit.models import (
    DEFAULT_DUE_WORKING_DAYS,
    DEFAULT_MIN_CAPITAL,
    DEFAULT_NEW_WITHIN_DAYS,
    Visit,
    VisitRecord,
    VisitThreshold,
)
from qinqing.core import clock, events
from qinqing.core.errors import NotFound
from qinqing.core.events.types import Subject, VisitClosed, VisitOverdue, VisitRaised, VisitRecorded
from qinqing.core.text import check_visible
from qinqing.datahub.models import RegistryRecord
from qinqing.regions.models import Region

ACTIVE_STATUSES = (RegistryRecord.Status.ACTIVE, RegistryRecord.Status.OPERATING)
MAX_NOTES = 5000


@dataclass(frozen=True)
class Threshold:
    """The prompt rule in force at a node (from the nearest `VisitThreshold` up the tree)."""

    min_capital: Decimal
    new_within_days: int
    due_working_days: int
    active: bool = True
    region_code: str = ""


def threshold_for(region: Region) -> Threshold:
    """The nearest threshold on the way up from a node; the platform's default when none is set."""
    codes = [c for c in region.path.split("/") if c]
    rows = {t.region.code: t for t in VisitThreshold.objects.filter(region__code__in=codes).select_related("region")}
    for code in reversed(codes):
        row = rows.get(code)
        if row is not None:
            return Threshold(row.min_capital, row.new_within_days, row.due_working_days, row.active, code)
    return Threshold(DEFAULT_MIN_CAPITAL, DEFAULT_NEW_WITHIN_DAYS, DEFAULT_DUE_WORKING_DAYS)


def _subject(visit: Visit) -> Subject:
    return {"enterprise": visit.uscc, "region": visit.region.code}


def _snapshot(visit: Visit) -> dict[str, Any]:
    return {"status": visit.status, "assignee": visit.assignee_id, "due_at": visit.due_at.isoformat(),
            "overdue_at": visit.overdue_at.isoformat() if visit.overdue_at else None,
            "closed_at": visit.closed_at.isoformat() if visit.closed_at else None}


def pick_assignee(region: Region) -> User | None:
    """The grid's staff for a node: grid staff of the deepest node above it, the least busy first; else street staff."""
    codes = [c for c in region.path.split("/") if c]
    depth = {code: i for i, code in enumerate(codes)}
    staff = [u for u in User.objects.filter(kind=User.Kind.STAFF, is_active=True, region__code__in=codes)
             .select_related("region")]
    for role in (Role.GRID_STAFF, Role.STREET_STAFF):
        holders = [u for u in staff if u.has_role(role) and u.region is not None]
        if not holders:
            continue
        deepest = max(depth[u.region.code] for u in holders if u.region is not None)
        nearest = [u for u in holders if u.region is not None and depth[u.region.code] == deepest]
        load = {u.pk: Visit.objects.open().filter(assignee=u).count() for u in nearest}
        return min(nearest, key=lambda u: (load[u.pk], u.pk))
    return None


def _raise(*, found: Located, origin: str, reason: str, due_days: int, raised_by: User | None,
           assignee: User | None, now: dt.datetime) -> Visit:
    due = clock.add(now, clock.Duration(due_days, clock.Unit.WORKING_DAYS))
    visit = Visit.objects.create(
        uscc=found.uscc, enterprise_name=found.name, enterprise=found.enterprise, region=found.region, origin=origin,
        reason=reason[:300], registered_capital=found.capital, assignee=assignee, raised_by=raised_by, raised_at=now,
        due_at=due.at, due_provisional=due.provisional)
    record_event(actor=raised_by, action="cockpit.visit_raised", obj=visit,
                 after={"uscc": visit.uscc, "origin": origin, "reason": visit.reason, **_snapshot(visit)})
    events.emit(VisitRaised(**_subject(visit), visit_id=visit.pk, origin=origin, due_at=visit.due_at.isoformat(),
                            assignee=assignee.username if assignee else "",
                            capital=str(found.capital) if found.capital is not None else ""))
    return visit


def _capital_words(amount: Decimal) -> str:
    return _("%(amount)s yuan") % {"amount": f"{amount:,.0f}"}


def raise_visit_prompt(*, uscc: str, now: dt.datetime | None = None) -> Visit | None:
    """Raise the visit prompt of a newly registered enterprise at or above its node's threshold, exactly once.

    Newly registered: established within the threshold's days of `now`, still active in the registry.
    Returns the visit raised, or None (below threshold, not new, no registry record, prompted already).
    """
    moment = now or timezone.now()
    found = locate(uscc)
    if found is None or found.registry is None or found.registry.status not in ACTIVE_STATUSES:
        return None
    rule = threshold_for(found.region)
    established = found.registry.established_on
    age = (clock.local(moment).date() - established).days
    if not rule.active or found.registry.registered_capital < rule.min_capital or not 0 <= age <= rule.new_within_days:
        return None
    with events.atomic():
        if Visit.objects.filter(uscc=found.uscc, origin=Visit.Origin.PROMPT).exists():
            return None
        reason = _("Newly registered on %(day)s with a registered capital of %(capital)s (from %(min)s).") % {
            "day": established.isoformat(), "capital": _capital_words(found.registry.registered_capital),
            "min": _capital_words(rule.min_capital)}
        visit = _raise(found=found, origin=Visit.Origin.PROMPT, reason=reason, due_days=rule.due_working_days,
                       raised_by=None, assignee=pick_assignee(found.region), now=moment)
        _link_work_order(visit)
    return visit


def create_visit(*, user: User, uscc: str, reason: str = "", due_working_days: int | None = None) -> Visit:
    """Staff arrange a visit to an enterprise in their scope (one open visit per enterprise at a time)."""
    if not isinstance(uscc, str) or not uscc.strip():
        raise VisitInvalid(_("Name the enterprise."), errors={"uscc": [_("This field is required.")]})
    found = locate_for(user, uscc)
    text = _clean(reason, field="reason", limit=300, required=False)
    days = DEFAULT_DUE_WORKING_DAYS if due_working_days is None else due_working_days
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 60:
        raise VisitInvalid(_("Check the due time."), errors={"due_working_days": [_("From 0 to 60 working days.")]})
    with events.atomic():
        current = Visit.objects.open().filter(uscc=found.uscc).first()
        if current is not None:
            raise VisitConflict(_("This enterprise already has an open visit."),
                                errors={"uscc": [_("Open visit %(id)d.") % {"id": current.pk}]})
        assignee = user if user.has_role(Role.GRID_STAFF) else pick_assignee(found.region)
        visit = _raise(found=found, origin=Visit.Origin.MANUAL, reason=text or _("Arranged by staff."),
                       due_days=days, raised_by=user, assignee=assignee, now=timezone.now())
        _link_work_order(visit)
    return visit


def _clean(value: object, *, field: str, limit: int, required: bool = True, multiline: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise VisitInvalid(_("Check the visit record."), errors={field: [_("This field is required.")]})
    if len(text) > limit:
        raise VisitInvalid(_("Check the visit record."),
                           errors={field: [_("At most %(n)d characters.") % {"n": limit}]})
    try:
        check_visible(text, multiline=multiline)
    except ValueError as exc:
        raise VisitInvalid(_("Check the visit record."), errors={field: [str(exc)]}) from exc
    return text


def _check_record(visit: Visit, data: Mapping[str, object]) -> tuple[dt.date, str, list[str], str]:
    errors: dict[str, list[str]] = {}
    visited_on = data.get("visited_on")
    if isinstance(visited_on, str):
        try:
            visited_on = dt.date.fromisoformat(visited_on.strip())
        except ValueError:
            visited_on = None
    today = clock.local(timezone.now()).date()
    if not isinstance(visited_on, dt.date):
        errors["visited_on"] = [_("A date such as %(example)s.") % {"example": today.isoformat()}]
    elif visited_on > today:
        errors["visited_on"] = [_("A visit cannot be recorded before it happened.")]
    elif visited_on < clock.local(visit.raised_at).date() - dt.timedelta(days=30):
        errors["visited_on"] = [_("More than 30 days before the task was raised.")]
    raw = data.get("topics")
    raw_topics: list[object] = list(raw) if isinstance(raw, list | tuple) else []
    topics = [t for t in raw_topics if isinstance(t, str)]
    allowed = set(VisitRecord.Topic.values)
    if not topics:
        errors["topics"] = [_("Choose at least one topic.")]
    elif any(t not in allowed for t in topics) or len(topics) != len(raw_topics):
        errors["topics"] = [_("Not one of the allowed values.")]
    texts: dict[str, str] = {}
    for field, limit, required in (("attendees", 500, True), ("notes", MAX_NOTES, False)):
        try:
            texts[field] = _clean(data.get(field), field=field, limit=limit, required=required,
                                  multiline=field == "notes")
        except VisitInvalid as exc:
            errors.update({k: [str(m) for m in v] for k, v in exc.errors.items()})
    if errors:
        raise VisitInvalid(_("Check the visit record."), errors=errors)
    assert isinstance(visited_on, dt.date)
    ordered = [t for t in VisitRecord.Topic.values if t in set(topics)]
    return visited_on, texts["attendees"], ordered, texts["notes"]


def visible_visit(user: object, visit_id: int) -> Visit:
    """A visit the user's scope contains; NotFound (404) otherwise."""
    visit = Visit.objects.visible_to(user).select_related("region", "assignee").filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


def record_visit(*, user: User, visit: Visit, data: Mapping[str, object], close: bool = True) -> VisitRecord:
    """Write down a visit at the door (day, attendees, topics, notes); close the task unless follow-up stays open."""
    visit = visible_visit(user, visit.pk)
    visited_on, attendees, topics, notes = _check_record(visit, data)
    with events.atomic():
        visit = Visit.objects.select_for_update().select_related("region").get(pk=visit.pk)
        if visit.status == Visit.Status.CLOSED:
            raise VisitConflict(_("This visit is closed."), errors={"status": [visit.get_status_display()]})
        before = _snapshot(visit)
        record = VisitRecord.objects.create(visit=visit, visited_on=visited_on, attendees=attendees, topics=topics,
                                            notes=notes, recorded_by=user)
        visit.status = Visit.Status.VISITED
        visit.save(update_fields=["status"])
        record_event(actor=user, action="cockpit.visit_recorded", obj=visit, before=before,
                     after={**_snapshot(visit), "record": record.pk, "visited_on": visited_on.isoformat(),
                            "topics": topics})
        events.emit(VisitRecorded(**_subject(visit), visit_id=visit.pk, record_id=record.pk,
                                  visited_on=visited_on.isoformat(), topics=tuple(topics), staff=user.username))
        if close:
            close_visit(user=user, visit=visit)
    return record


def close_visit(*, user: User, visit: Visit) -> Visit:
    """Close a visit task that has at least one record."""
    visit = visible_visit(user, visit.pk)
    with events.atomic():
        visit = Visit.objects.select_for_update().select_related("region").get(pk=visit.pk)
        if visit.status == Visit.Status.CLOSED:
            raise VisitConflict(_("This visit is closed."), errors={"status": [visit.get_status_display()]})
        if not visit.records.exists():
            raise VisitConflict(_("Record the visit before closing it."), errors={"status": [_("No record yet.")]})
        before = _snapshot(visit)
        now = timezone.now()
        visit.status, visit.closed_at, visit.closed_by = Visit.Status.CLOSED, now, user
        visit.save(update_fields=["status", "closed_at", "closed_by"])
        record_event(actor=user, action="cockpit.visit_closed", obj=visit, before=before, after=_snapshot(visit))
        events.emit(VisitClosed(**_subject(visit), visit_id=visit.pk, on_time=now <= visit.due_at,
                                staff=user.username))
        _resolve_work_order(visit, user)
    return visit


def flag_overdue_visits(*, now: dt.datetime | None = None) -> int:
    """Mark every open visit past its due time overdue, once each, and emit `VisitOverdue`; return how many."""
    moment = now or timezone.now()
    flagged = 0
    due = Visit.objects.filter(status=Visit.Status.OPEN, overdue_at__isnull=True, due_at__lt=moment)
    for pk in due.values_list("pk", flat=True).order_by("pk")[:1000]:
        with events.atomic():
            visit = Visit.objects.select_for_update().get(pk=pk)
            if visit.overdue_at is not None or visit.status != Visit.Status.OPEN:
                continue
            before = _snapshot(visit)
            visit.overdue_at = moment
            visit.save(update_fields=["overdue_at"])
            record_event(actor=None, action="cockpit.visit_overdue", obj=visit, before=before, after=_snapshot(visit))
            events.emit(VisitOverdue(**_subject(visit), visit_id=visit.pk, due_at=visit.due_at.isoformat(),
                                     assignee=visit.assignee.username if visit.assignee else ""))
            flagged += 1
    return flagged


def prompt_usccs(usccs: Iterable[str], *, now: dt.datetime | None = None) -> int:
    """Consider each enterprise for its visit prompt; return how many prompts were raised."""
    return sum(1 for uscc in dict.fromkeys(usccs) if uscc and raise_visit_prompt(uscc=uscc, now=now) is not None)


def _link_work_order(visit: Visit) -> None:
    """Give the visit a service-desk work order of its assignee (see `qinqing.cockpit.desk`)."""
    from qinqing.cockpit.desk import open_work_order

    open_work_order(visit)


def _resolve_work_order(visit: Visit, user: User) -> None:
    from qinqing.cockpit.desk import resolve_work_order

    resolve_work_order(visit, user)
