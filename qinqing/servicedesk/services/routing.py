"""Who gets a chat: the dedicated D小二 when free, then topic and region, round-robin under a concurrency cap."""

from __future__ import annotations

from django.db.models import Count, F, Q

from qinqing.accounts.models import User
from qinqing.servicedesk.models import Conversation, Dedication, DeskProfile
from qinqing.servicedesk.workflow import HUMAN_CHAT


def load_of(user_ids: list[int]) -> dict[int, int]:
    """Open human chats each person holds now."""
    rows = (Conversation.objects.filter(assignee_id__in=user_ids, status__in=HUMAN_CHAT)
            .values("assignee_id").annotate(n=Count("pk")))
    return {row["assignee_id"]: row["n"] for row in rows}


def candidates(conversation: Conversation) -> list[DeskProfile]:
    """Available seat staff covering the enterprise, best first, each under their cap."""
    region = conversation.region
    if region is None:
        return []
    rows = [d for d in DeskProfile.objects.select_related("user", "region").filter(available=True, user__is_active=True)
            .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
            if d.takes_seats and d.covers(region)]
    load = load_of([d.user_id for d in rows])
    free = [d for d in rows if load.get(d.user_id, 0) < d.max_concurrent]
    dedicated = Dedication.objects.filter(enterprise_id=conversation.enterprise_id).values_list("staff_id", flat=True).first()
    topic = conversation.topic

    def rank(desk: DeskProfile) -> tuple[int, int]:
        # Dedicated first; then whoever answers for the topic; nearer levels (longer region paths) before farther.
        return (0 if desk.user_id == dedicated else 1 if topic and topic in (desk.topics or []) else 2,
                -len(desk.region.path))

    return sorted(free, key=rank)  # stable: round-robin order kept within a rank


def pick(conversation: Conversation) -> User | None:
    """The person to offer a waiting chat to, or None when nobody in scope is free."""
    found = candidates(conversation)
    return found[0].user if found else None


def waiting_for(user: User) -> Q:
    """Waiting chats a seat may take from the queue: offered to them, or unassigned in their region."""
    desk = DeskProfile.objects.select_related("region").filter(user=user).first()
    if desk is None:
        return Q(pk__in=[])
    return Q(assignee=user) | Q(assignee__isnull=True, region__path__startswith=desk.region.path)
