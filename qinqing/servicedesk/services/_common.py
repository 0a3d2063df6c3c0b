"""What every desk service shares: locking, the visible timeline, permission guards, live delivery."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.core.events.types import Subject
from qinqing.servicedesk.errors import NotDeskStaff, NotYours
from qinqing.servicedesk.models import Conversation, DeskProfile, Step, WorkOrder

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Conversation | WorkOrder)

MAX_TEXT = 2000


def locked(item: T) -> T:
    """The row again, locked for the rest of the transaction, with its enterprise and region (`subject()` of
    every event reads them: two queries per message otherwise). Only the item's own row is locked."""
    rows = type(item).objects.select_for_update(of=("self",)).select_related("enterprise", "region")
    return rows.get(pk=item.pk)  # type: ignore[no-any-return]


def kind_of(item: Conversation | WorkOrder) -> str:
    return "conversation" if isinstance(item, Conversation) else "work_order"


def subject(item: Conversation | WorkOrder) -> Subject:
    region = item.region.code if item.region is not None else ""
    return {"enterprise": item.enterprise.uscc, "region": region}


def about(item: Conversation | WorkOrder) -> dict[str, Any]:
    """The keyword that points a Step, Pause, Escalation or Handover at its item."""
    return {"conversation": item} if isinstance(item, Conversation) else {"work_order": item}


def step(item: Conversation | WorkOrder, action: str, *, actor: User | None = None, note: str = "") -> Step:
    return Step.objects.create(**about(item), action=action, actor=actor, note=note[:1000])


def snapshot(item: Conversation | WorkOrder) -> dict[str, Any]:
    return {"status": item.status, "owner": item.owner_id, "assignee": item.assignee_id,
            "due_at": item.due_at.isoformat() if item.due_at else None, "escalation": item.escalation}


def desk_of(user: User) -> DeskProfile:
    """The D小二 profile of a staff member; refuse anyone else."""
    desk = DeskProfile.objects.select_related("region").filter(user=user).first() if user.pk else None
    if desk is None or user.kind != User.Kind.STAFF:
        raise NotDeskStaff(_("Only D小二 staff can do this."))
    return desk


def require_staff_on(user: User, item: Conversation | WorkOrder) -> DeskProfile:
    """A D小二 who serves the item's enterprise, owns it, holds it, or is asked to receive it."""
    desk = desk_of(user)
    if desk.covers(item.region) or user.pk in (item.owner_id, item.assignee_id):
        return desk
    if item.handovers.filter(to_user=user, status="pending").exists():
        return desk
    raise NotYours(_("This item is outside your scope."))


def require_enterprise_of(user: User, item: Conversation | WorkOrder) -> None:
    if not user.is_enterprise or user.enterprise_id != item.enterprise_id:
        raise NotYours(_("Only the enterprise itself can do this."))


def clean_text(text: object, *, field: str = "text", limit: int = MAX_TEXT) -> str:
    """Trimmed text, refused when empty, too long or carrying control characters."""
    from qinqing.servicedesk.errors import DeskInvalid

    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise DeskInvalid(_("Write a message first."), errors={field: [_("This field is required.")]})
    if len(value) > limit:
        raise DeskInvalid(_("The message is too long."),
                          errors={field: [_("At most %(n)d characters.") % {"n": limit}]})
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise DeskInvalid(_("The message contains characters that cannot be stored."),
                          errors={field: [_("Remove control characters.")]})
    return value


# Pushes a WebSocket consumer collects while it runs a service in its worker thread, to send them itself
# from the event loop (no second thread hop per message to reach the channel layer).
_collected: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "desk_collected_pushes", default=None)


def broadcast(conversation_id: int, payload: dict[str, Any]) -> None:
    """After commit, push a payload to everyone connected to the conversation (WebSocket group).

    The payload is encoded to JSON once here, not once per connected client.
    """
    text = json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder)
    group = group_name(conversation_id)

    def send() -> None:
        collected = _collected.get()
        if collected is not None:
            collected.append((group, text))
            return
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "desk.event", "text": text})
        except Exception:  # a broken channel layer never undoes a committed message; clients catch up by seq
            log.exception("could not push to conversation %s", conversation_id)

    after_commit(send)


@contextlib.contextmanager
def collected_pushes() -> Iterator[list[tuple[str, str]]]:
    """Collect the pushes of the services run inside (group, JSON text) instead of sending them: the caller,
    a WebSocket consumer, sends them from its event loop once the service returns."""
    pushes: list[tuple[str, str]] = []
    token = _collected.set(pushes)
    try:
        yield pushes
    finally:
        _collected.reset(token)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction commits (tests of live delivery run it at once)."""
    transaction.on_commit(callback)


def group_name(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"
