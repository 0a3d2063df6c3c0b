"""Shaped reads of the desk: API bodies, the seat console, the supervisor's lists and report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from qinqing.accounts.models import Authorisation, Enterprise, User
from qinqing.core import clock
from qinqing.core.events.types import DeskClosed, DeskEscalated, DeskRated, DeskReplied
from qinqing.core.models import OutboxEvent
from qinqing.servicedesk.models import (
    BAD_RATINGS,
    Channel,
    Conversation,
    Dedication,
    DeskProfile,
    Evaluation,
    Handover,
    Pause,
    Rating,
    SlaPolicy,
    Step,
    WorkOrder,
)
from qinqing.servicedesk.services import ratings, routing, sla
from qinqing.servicedesk.services.chat import message_payload, messages_after
from qinqing.servicedesk.workflow import HUMAN_CHAT, OPEN_ORDER, ChatStatus


def _name(user: User | None) -> str:
    return (user.display_name or user.username) if user is not None else ""


def conversation_payload(conversation: Conversation, user: User, *, after: int = 0) -> dict[str, Any]:
    conversation.refresh_from_db()
    return {
        "id": conversation.pk, "status": conversation.status, "enterprise": conversation.enterprise.name,
        "owner": _name(conversation.owner), "assignee": _name(conversation.assignee),
        "context_kind": conversation.context_kind, "context_key": conversation.context_key,
        "due_at": conversation.due_at, "last_seq": conversation.last_seq,
        "in_service_hours": sla.in_service_hours(),
        "can_rate": user.is_enterprise and ratings.can_rate(conversation),
        "messages": [message_payload(m) for m in messages_after(conversation, after)],
    }


def steps_of(order: WorkOrder) -> list[Step]:
    return list(Step.objects.filter(work_order=order).select_related("actor").order_by("at", "pk"))


def work_order_payload(order: WorkOrder, user: User) -> dict[str, Any]:
    order.refresh_from_db()
    return {
        "id": order.pk, "number": order.number, "kind": order.kind, "status": order.status, "stage": order.stage,
        "title": order.title, "body": order.body, "owner": _name(order.owner), "assignee": _name(order.assignee),
        "due_at": order.due_at, "escalation": order.escalation, "resolution": order.resolution,
        "can_rate": user.is_enterprise and ratings.can_rate(order),
        "steps": [{"action": s.action, "note": s.note, "actor": _name(s.actor), "at": s.at} for s in steps_of(order)],
    }


# ---- enterprise -----------------------------------------------------------------------------------


@dataclass
class EnterpriseDesk:
    dedicated: User | None
    working_hours: str
    conversations: list[Conversation]
    orders: list[WorkOrder]
    ratable: set[str] = field(default_factory=set)


def enterprise_desk(user: User) -> EnterpriseDesk:
    """The enterprise's 服务台: its dedicated D小二, its chats and work orders (rectifications with their steps)."""
    dedication = Dedication.objects.select_related("staff").filter(enterprise_id=user.enterprise_id or 0).first()
    hours = ""
    if dedication is not None:
        desk = DeskProfile.objects.filter(user=dedication.staff).first()
        hours = desk.working_hours if desk else ""
    conversations = list(Conversation.objects.visible_to(user).select_related("owner").order_by("-created_at")[:20])
    order_rows = list(WorkOrder.objects.visible_to(user).select_related("owner").order_by("-created_at")[:50])
    ratable = {f"c{c.pk}" for c in conversations if ratings.can_rate(c)} | {f"w{o.pk}" for o in order_rows
                                                                              if ratings.can_rate(o)}
    return EnterpriseDesk(dedication.staff if dedication else None, hours, conversations, order_rows, ratable)


# ---- seat console ---------------------------------------------------------------------------------


@dataclass
class Console:
    desk: DeskProfile
    waiting: list[Conversation]
    active: list[Conversation]
    orders: list[WorkOrder]
    queue: list[WorkOrder]
    handovers: list[Handover]
    now: dt.datetime


def console(user: User) -> Console:
    """What a seat works on now: chats offered or waiting in its region, its own, work orders, hand-overs to it."""
    desk = DeskProfile.objects.select_related("region").get(user=user)
    chats = Conversation.objects.visible_to(user).select_related("enterprise")
    waiting = list(chats.filter(routing.waiting_for(user), status=ChatStatus.WAITING).order_by("due_at")[:50])
    active = list(chats.filter(assignee=user, status=ChatStatus.ACTIVE).order_by("due_at")[:50])
    order_rows = WorkOrder.objects.visible_to(user).select_related("enterprise")
    mine = list(order_rows.filter(assignee=user, status__in=OPEN_ORDER).order_by("due_at")[:50])
    queue = list(order_rows.filter(assignee__isnull=True, status__in=OPEN_ORDER,
                                   region__path__startswith=desk.region.path).order_by("due_at")[:50])
    pending = list(Handover.objects.filter(to_user=user, status=Handover.Status.PENDING)
                   .select_related("from_user", "conversation", "work_order"))
    return Console(desk, waiting, active, mine, queue, pending, timezone.now())


def enterprise_context(conversation: Conversation, user: User) -> dict[str, Any]:
    """The enterprise beside a chat: its cases and licences (as the seat may read them), earlier chats, what
    sibling apps register (payouts), and its portrait."""
    from qinqing.cases.models import Case, Licence

    enterprise = conversation.enterprise
    cases = list(Case.objects.visible_to(user).filter(enterprise=enterprise).order_by("-pk")[:10])
    licences = list(Licence.objects.visible_to(user).filter(enterprise=enterprise).order_by("-pk")[:10])
    earlier = list(Conversation.objects.visible_to(user).filter(enterprise=enterprise).exclude(pk=conversation.pk)
                   .order_by("-created_at")[:10])
    from qinqing.servicedesk import context

    return {"enterprise": enterprise, "cases": cases, "licences": licences, "earlier": earlier,
            "sections": context.sections(enterprise, user), "portrait_url": portrait_url(enterprise.uscc)}


def portrait_url(uscc: str) -> str:
    """The enterprise's portrait in the cockpit (above the desk: linked by route name, never imported).

    Until the cockpit's route exists, the link is its agreed path (/cockpit/enterprises/<uscc>/).
    """
    from django.urls import NoReverseMatch, reverse

    for name in ("cockpit:enterprise", "cockpit:portrait", "cockpit:enterprise_portrait"):
        try:
            return reverse(name, kwargs={"uscc": uscc})
        except NoReverseMatch:
            continue
    return f"/cockpit/enterprises/{uscc}/"


def staff_in_scope(user: User) -> list[DeskProfile]:
    """D小二 a hand-over or reassignment may go to: those whose region overlaps the caller's."""
    desk = DeskProfile.objects.select_related("region").filter(user=user).first()
    if desk is None:
        return []
    rows = DeskProfile.objects.select_related("user", "region").exclude(user=user).order_by("level", "user__username")
    return [d for d in rows if d.region.path.startswith(desk.region.path) or desk.region.path.startswith(d.region.path)]


# ---- supervision ----------------------------------------------------------------------------------


def overdue_and_near(user: User, *, within: dt.timedelta = dt.timedelta(hours=2)) -> dict[str, list[Any]]:
    """Open items in scope past due or due soon, most urgent first."""
    horizon = timezone.now() + within
    chats = (Conversation.objects.visible_to(user).filter(status__in=HUMAN_CHAT, due_at__lte=horizon)
             .select_related("enterprise", "assignee").order_by("due_at")[:100])
    order_rows = (WorkOrder.objects.visible_to(user).filter(status__in=OPEN_ORDER)
                  .filter(Q(due_at__lte=horizon) | Q(escalation__gt=0))
                  .select_related("enterprise", "assignee").order_by("due_at")[:100])
    return {"chats": list(chats), "orders": list(order_rows)}


RATING_ORDER = [r.value for r in Rating]


def _events(names: list[str], since: dt.datetime, desk: DeskProfile | None) -> QuerySet[OutboxEvent]:
    from qinqing.regions.models import Region

    rows = OutboxEvent.objects.filter(name__in=names, occurred_at__gte=since)
    if desk is None:
        return rows
    return rows.filter(region__in=Region.objects.filter(path__startswith=desk.region.path).values("code"))


def report(user: User, *, days: int = 30) -> dict[str, Any]:
    """Volumes, first-response times, SLA attainment and ratings by level, role, person and region, from events."""
    desk = DeskProfile.objects.select_related("region").filter(user=user).first()
    since = timezone.now() - dt.timedelta(days=days)
    profiles = {d.user.username: d for d in DeskProfile.objects.select_related("user", "region")}
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"closed": 0, "first": 0, "first_seconds": 0,
                                                           "on_time": 0, "breaches": 0,
                                                           "ratings": dict.fromkeys(RATING_ORDER, 0)})
    for event in _events([DeskReplied.NAME, DeskClosed.NAME, DeskEscalated.NAME, DeskRated.NAME], since, desk):
        payload = event.payload
        person = payload.get("staff") or payload.get("to_staff") or ""
        if event.name == DeskReplied.NAME and payload.get("first") and person:
            row = rows[person]
            row["first"] += 1
            row["first_seconds"] += int(payload.get("seconds") or 0)
            row["on_time"] += 1 if payload.get("on_time") else 0
        elif event.name == DeskClosed.NAME and person:
            rows[person]["closed"] += 1
        elif event.name == DeskEscalated.NAME and payload.get("kind") == "breach" and payload.get("level") == 1:
            rows[person or "-"]["breaches"] += 1
        elif event.name == DeskRated.NAME and person and payload.get("level") in RATING_ORDER:
            rows[person]["ratings"][payload["level"]] += 1
    out = []
    for person, row in sorted(rows.items()):
        profile = profiles.get(person)
        out.append({
            "person": _name(profile.user) if profile else person, "username": person,
            "level": profile.get_level_display() if profile else "", "roles": ", ".join(profile.roles) if profile else "",
            "region": profile.region.name if profile else "", **row,
            "avg_first_seconds": round(row["first_seconds"] / row["first"]) if row["first"] else None,
            "attainment": round(100 * row["on_time"] / row["first"]) if row["first"] else None,
        })
    rectifications = WorkOrder.objects.visible_to(user).filter(kind=WorkOrder.Kind.RECTIFICATION).count()
    bad = Evaluation.objects.filter(created_at__gte=since, level__in=["dissatisfied", "very_dissatisfied"]).count()
    return {"rows": out, "rectifications": rectifications, "bad_ratings": bad, "days": days,
            "rating_levels": [(r.value, r.label) for r in Rating]}


def group_report(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Sum the person rows by `level`, `roles` or `region`."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row[key] or "-"
        group = groups.setdefault(name, {key: name, "closed": 0, "first": 0, "first_seconds": 0, "on_time": 0,
                                         "breaches": 0, "ratings": dict.fromkeys(RATING_ORDER, 0)})
        for field_name in ("closed", "first", "first_seconds", "on_time", "breaches"):
            group[field_name] += row[field_name]
        for level, count in row["ratings"].items():
            group["ratings"][level] += count
    for group in groups.values():
        group["attainment"] = round(100 * group["on_time"] / group["first"]) if group["first"] else None
    return list(groups.values())


@dataclass
class Acting:
    """政府替办 from the console: may this seat act for the enterprise, under which authorisation, where to start."""

    is_agent: bool
    authorisation: Authorisation | None
    starts: list[tuple[str, str]]  # (一件事 name, URL of the bundles app's apply page on the enterprise's behalf)
    workbench_url: str
    request_url: str  # the enterprise's page to grant authorisations


def acting_for(enterprise: Enterprise, user: User) -> Acting:
    """The authorisation check, visible on the console. The bundles app is above-beside the desk: linked by URL."""
    from django.urls import reverse

    from qinqing.servicedesk import context

    authorisation = (Authorisation.objects.active().filter(enterprise=enterprise, agent=user)
                     .order_by("-granted_at").first())
    starts: list[tuple[str, str]] = []
    if authorisation is not None:
        rows = context.starts(enterprise, authorisation.scope_codes)
        if rows is not None:
            starts = [(row.text, row.url) for row in rows]
        else:
            starts = [(code, reverse("bundles:apply", kwargs={"code": code}) + f"?for={enterprise.uscc}")
                      for code in authorisation.scope_codes]
    return Acting(is_agent=user.is_agent, authorisation=authorisation, starts=starts,
                  workbench_url=reverse("bundles:workbench"), request_url=reverse("bundles:authorisations"))


# ---- a region's activity (read by the cockpit, which sits above the desk) -------------------------


@dataclass
class RegionActivity:
    """What the desk did for the enterprises of one region subtree in a window [since, until).

    Chats count against the first-response clock (3 service minutes by default), work orders against the
    resolution clock (24 hours, paused time not counted); a visit's work order keeps the visit's own due date
    and is left out of that share. An item still running inside its limit is not decided yet.
    """

    since: dt.datetime
    until: dt.datetime
    conversations_opened: int = 0
    conversations_closed: int = 0
    orders_opened: int = 0
    orders_closed: int = 0
    chats_decided: int = 0
    chats_on_time: int = 0
    orders_decided: int = 0
    orders_on_time: int = 0
    ratings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATING_ORDER, 0))
    rectifications_open: int = 0
    chat_limit: str = ""
    order_limit: str = ""

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfied(self) -> int:
        """Ratings of 基本满意 or better."""
        return sum(n for level, n in self.ratings.items() if level not in BAD_RATINGS)


def _limit(policy: SlaPolicy, amount: int) -> str:
    """A limit as people say it ("3 service minutes", "24 hours"); empty when the policy sets none."""
    if amount <= 0:
        return ""
    words = {clock.Unit.SERVICE_MINUTES: ngettext("%(n)s service minute", "%(n)s service minutes", amount),
             clock.Unit.SERVICE_HOURS: ngettext("%(n)s service hour", "%(n)s service hours", amount),
             clock.Unit.CALENDAR_HOURS: ngettext("%(n)s hour", "%(n)s hours", amount)}
    return words.get(clock.Unit(policy.unit), f"%(n)s {policy.unit}") % {"n": amount}


def _chat_shares(chats: QuerySet[Conversation], policy: SlaPolicy, now: dt.datetime) -> tuple[int, int]:
    decided = on_time = 0
    for handed, first, closed in chats.values_list("handed_over_at", "first_response_at", "closed_at"):
        if handed is None:
            continue
        due = sla.due(policy, handed, policy.first_response)
        if first is not None:
            decided += 1
            on_time += 1 if due is None or first <= due else 0
        elif due is not None and (closed or now) > due:
            decided += 1  # never answered, and the clock ran out before the chat ended
    return decided, on_time


def _order_shares(orders: QuerySet[WorkOrder], policy: SlaPolicy, now: dt.datetime) -> tuple[int, int]:
    decided = on_time = 0
    rows = list(orders.values_list("pk", "created_at", "resolved_at", "due_at", "status"))
    paused: dict[int, dt.timedelta] = defaultdict(dt.timedelta)
    for order_id, started, ended in Pause.objects.filter(work_order_id__in=[r[0] for r in rows if r[2]]).values_list(
            "work_order_id", "started_at", "ended_at"):
        paused[order_id] += (ended or now) - started
    for order_id, created, resolved, due_at, status in rows:
        if resolved is not None:
            due = sla.due(policy, created, policy.resolution)
            decided += 1
            on_time += 1 if due is None or resolved - paused[order_id] <= due else 0
        elif status in OPEN_ORDER and due_at is not None and due_at < now:
            decided += 1  # still open past its (pause-extended) deadline
    return decided, on_time


def region_activity(region_path: str, *, since: dt.datetime, until: dt.datetime,
                    now: dt.datetime | None = None) -> RegionActivity:
    """The desk's figures for the enterprises of the region subtree whose materialised path is `region_path`."""
    now = now or timezone.now()
    chats = Conversation.objects.filter(region__path__startswith=region_path)
    order_rows = WorkOrder.objects.filter(region__path__startswith=region_path)
    chat_policy, order_policy = sla.policy_for(Channel.CHAT), sla.policy_for(Channel.WORK_ORDER)
    out = RegionActivity(since=since, until=until, chat_limit=_limit(chat_policy, chat_policy.first_response),
                         order_limit=_limit(order_policy, order_policy.resolution))
    out.conversations_opened = chats.filter(created_at__gte=since, created_at__lt=until).count()
    out.conversations_closed = chats.filter(closed_at__gte=since, closed_at__lt=until).count()
    out.orders_opened = order_rows.filter(created_at__gte=since, created_at__lt=until).count()
    out.orders_closed = order_rows.filter(resolved_at__gte=since, resolved_at__lt=until).count()
    out.chats_decided, out.chats_on_time = _chat_shares(
        chats.filter(handed_over_at__gte=since, handed_over_at__lt=until), chat_policy, now)
    timed = order_rows.exclude(kind=WorkOrder.Kind.VISIT)
    out.orders_decided, out.orders_on_time = _order_shares(
        timed.filter(Q(resolved_at__gte=since, resolved_at__lt=until)
                     | Q(resolved_at__isnull=True, created_at__gte=since, created_at__lt=until)), order_policy, now)
    rated = (Evaluation.objects.filter(created_at__gte=since, created_at__lt=until)
             .filter(Q(conversation__region__path__startswith=region_path)
                     | Q(work_order__region__path__startswith=region_path))
             .values("level").annotate(n=Count("pk")))
    for row in rated:
        if row["level"] in out.ratings:
            out.ratings[row["level"]] += row["n"]
    out.rectifications_open = order_rows.filter(kind=WorkOrder.Kind.RECTIFICATION, status__in=OPEN_ORDER).count()
    return out
