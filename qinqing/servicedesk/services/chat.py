"""Chats: the assistant answers first, 转人工 hands over to a D小二, who owns it once taken (首问责任)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.events.types import DeskAssigned, DeskClosed, DeskReplied
from qinqing.servicedesk.errors import DeskInvalid, TooManyMessages, WrongState
from qinqing.servicedesk.models import Attachment, Conversation, DeskProfile, Message
from qinqing.servicedesk.services import routing, sla
from qinqing.servicedesk.services._common import (
    broadcast,
    clean_text,
    locked,
    require_enterprise_of,
    require_staff_on,
    snapshot,
    step,
    subject,
)
from qinqing.servicedesk.workflow import ChatStatus, can_chat

HUMAN_WORDS = ("转人工", "人工客服", "人工服务", "找人工", "human", "agent")
CONFIDENCE_THRESHOLD = 0.35
# A flood from one client: at most this many messages per window.
FLOOD_LIMIT, FLOOD_WINDOW = 8, dt.timedelta(seconds=10)


def message_payload(message: Message) -> dict[str, Any]:
    """The shape a message has everywhere: API, WebSocket, polling."""
    author = message.author
    return {
        "seq": message.seq, "author_kind": message.author_kind, "text": message.text,
        "author": (author.display_name or author.username) if author is not None and message.author_kind == "staff" else "",
        "citations": message.citations or [], "client_id": message.client_id,
        "created_at": message.created_at.isoformat(), "attachment": attachment_payload(message),
    }


def attachment_payload(message: Message) -> dict[str, Any] | None:
    """The file a message carries (name, size, download link), or None."""
    from django.urls import reverse

    attachment = getattr(message, "attachment", None)  # cached: select_related, or set when appended
    if attachment is None:
        return None
    return {"id": attachment.pk, "name": attachment.original_name, "size": attachment.size, "content_type": attachment.content_type,
            "url": reverse("servicedesk:attachment", kwargs={"pk": attachment.pk})}


def _append(conversation: Conversation, *, kind: str, text: str, author: User | None = None,
            citations: list[dict[str, str]] | None = None, client_id: str = "",
            attachment: Attachment | None = None, also: list[str] | None = None) -> Message:
    """Persist a message with the next sequence number, then push it.

    Every caller holds the conversation's row lock (or has just created it), so the instance's `last_seq`
    is current: one UPDATE, no re-read. Were it ever stale, the unique (conversation, seq) constraint
    refuses the message instead of storing two with one number.
    """
    conversation.last_seq += 1
    # `also`: other fields the caller changed on the instance, written in the same UPDATE.
    changed = {name: getattr(conversation, name) for name in also or ()}
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=conversation.last_seq, **changed)
    message = Message.objects.create(conversation=conversation, seq=conversation.last_seq, author_kind=kind,
                                     author=author, text=text, citations=citations or [], client_id=client_id)
    if attachment is not None:
        attachment.message = message
        attachment.save(update_fields=["message"])
    # The reverse one-to-one is known now: the payload reads it without a query.
    Message.attachment.related.set_cached_value(message, attachment)
    broadcast(conversation.pk, {"type": "message", "message": message_payload(message),
                                "status": conversation.status})
    return message


def append_attachment(conversation: Conversation, attachment: Attachment, *, kind: str, author: User,
                      client_id: str = "") -> Message:
    """A file in the chat: a message naming it, carrying the download link (the caller holds the row lock)."""
    message = _append(conversation, kind=kind, text=f"📎 {attachment.original_name}", author=author,
                      client_id=client_id, attachment=attachment)
    if kind == Message.Author.ENTERPRISE and conversation.status == ChatStatus.ACTIVE and conversation.due_at is None:
        policy = sla.policy_of(conversation)
        sla.set_due(conversation, sla.due(policy, timezone.now(), policy.reply))
        conversation.save(update_fields=["due_at", "warned_at"])
    return message


def open_conversation(*, user: User, context_kind: str = "", context_key: str = "", context_title: str = "",
                      topic: str = "") -> Conversation:
    """An enterprise opens the chat panel (optionally about a matter, case or policy)."""
    if not user.is_enterprise or user.enterprise is None:
        raise DeskInvalid(_("Only an enterprise can open a consultation."))
    if context_kind not in ("", "matter", "case", "policy", "bundle"):
        raise DeskInvalid(_("Unknown context."), errors={"context_kind": [_("Not one of the allowed values.")]})
    with events.atomic():
        conversation = Conversation.objects.create(
            enterprise=user.enterprise, region=user.enterprise.region, opened_by=user, context_kind=context_kind,
            context_key=context_key[:64], context_title=context_title[:200], topic=topic[:32])
        _append(conversation, kind=Message.Author.ASSISTANT,
                text=_("您好，我是亲清智能客服。请描述您的问题；需要人工时请输入“转人工”。"))
        record_event(actor=user, action="servicedesk.conversation_opened", obj=conversation,
                     after=snapshot(conversation))
    return conversation


def flooding(conversation: Conversation, user: User) -> bool:
    since = timezone.now() - FLOOD_WINDOW
    return Message.objects.filter(conversation=conversation, author=user, created_at__gte=since).count() >= FLOOD_LIMIT


def _resent_or_flooding(conversation: Conversation, user: User, client_id: str) -> tuple[int | None, bool]:
    """One query for both: the message stored under `client_id` already (its pk), and whether `user` sent
    `FLOOD_LIMIT` messages within the window (the two checks of every enterprise message)."""
    since = timezone.now() - FLOOD_WINDOW
    recent = Q(author=user, created_at__gte=since)
    wanted: dict[str, Any] = {"recent": Count("pk", filter=recent)}
    where = recent
    if client_id:
        wanted["resent"] = Min("pk", filter=Q(client_id=client_id))
        where |= Q(client_id=client_id)
    found = Message.objects.filter(conversation=conversation).filter(where).aggregate(**wanted)
    return found.get("resent"), found["recent"] >= FLOOD_LIMIT


def post_message(*, conversation: Conversation, user: User, text: object, client_id: str = "") -> Message:
    """The enterprise writes. Persisted before it is acknowledged; a retried `client_id` returns the first."""
    require_enterprise_of(user, conversation)
    value = clean_text(text)
    client_id = (client_id or "")[:64]
    with events.atomic():
        conversation = locked(conversation)
        # Under the lock: a resend racing its first copy finds it (the unique constraint backs this up).
        resent, flood = _resent_or_flooding(conversation, user, client_id)
        if resent is not None:
            return Message.objects.get(pk=resent)
        if conversation.status == ChatStatus.CLOSED:
            raise WrongState(_("This consultation is closed; open a new one."))
        if flood:
            raise TooManyMessages(_("Too many messages at once; wait a few seconds."))
        also: list[str] = []
        if conversation.status == ChatStatus.ACTIVE and conversation.due_at is None:
            # The seat owes the next reply within the policy's limit: set in the sequence's UPDATE.
            policy = sla.policy_of(conversation)
            sla.set_due(conversation, sla.due(policy, timezone.now(), policy.reply))
            also = ["due_at", "warned_at"]
        # The enterprise's own message is its row: no outbox event (nothing consumes one; see decision 0012).
        message = _append(conversation, kind=Message.Author.ENTERPRISE, text=value, author=user, client_id=client_id,
                          also=also)
        if conversation.status == ChatStatus.ASSISTANT:
            _assistant_turn(conversation, value, user)
    return message


def _assistant_turn(conversation: Conversation, text: str, user: User) -> None:
    if any(word in text.lower() for word in HUMAN_WORDS):
        _hand_to_human(conversation, user, reason="asked")
        return
    from qinqing.servicedesk.assistant import answer

    context = {"kind": conversation.context_kind, "key": conversation.context_key} if conversation.context_kind else None
    reply = answer(text, context=context)
    citations = [{"kind": c.kind, "key": c.key, "title": c.title, "url": c.url} for c in reply.citations]
    _append(conversation, kind=Message.Author.ASSISTANT, text=reply.text, citations=citations)
    events.emit(DeskReplied(**subject(conversation), item="conversation", item_id=conversation.pk, author="assistant"))
    if reply.handover or reply.confidence < CONFIDENCE_THRESHOLD:
        _hand_to_human(conversation, user, reason="low_confidence")


def ask_for_human(*, conversation: Conversation, user: User) -> Conversation:
    """转人工: the whole conversation goes to a D小二; outside service hours the panel offers a message instead."""
    require_enterprise_of(user, conversation)
    with events.atomic():
        conversation = locked(conversation)
        if conversation.status != ChatStatus.ASSISTANT:
            return conversation
        _hand_to_human(conversation, user, reason="asked")
    return conversation


def _hand_to_human(conversation: Conversation, user: User, *, reason: str) -> None:
    if not sla.in_service_hours():
        _append(conversation, kind=Message.Author.SYSTEM,
                text=_("现在是非服务时间（服务时间 09:00–21:00）。请留言，我们将转为工单，24小时内答复。"))
        return
    before = snapshot(conversation)
    now = timezone.now()
    policy = sla.policy_of(conversation)
    conversation.status = ChatStatus.WAITING
    conversation.handed_over_at = now
    sla.set_due(conversation, sla.due(policy, now, policy.first_response))
    offered = routing.pick(conversation)
    conversation.assignee = offered
    conversation.save()
    if offered is not None:
        DeskProfile.objects.filter(user=offered).update(last_assigned_at=now)
        events.emit(DeskAssigned(**subject(conversation), item="conversation", item_id=conversation.pk,
                                 staff=offered.username))
    _append(conversation, kind=Message.Author.SYSTEM, text=_("正在为您转接人工服务（D小二），请稍候。"))
    step(conversation, "handed_to_human", actor=user, note=reason)
    record_event(actor=user, action="servicedesk.handed_to_human", obj=conversation, before=before,
                 after=snapshot(conversation))


def take_conversation(*, conversation: Conversation, staff: User) -> Conversation:
    """A seat takes a waiting chat; the first to take it owns it (首问责任)."""
    with events.atomic():
        conversation = locked(conversation)
        require_staff_on(staff, conversation)
        if conversation.status == ChatStatus.ACTIVE and conversation.assignee_id == staff.pk:
            return conversation
        if not can_chat(conversation.status, ChatStatus.ACTIVE):
            raise WrongState(_("This consultation is not waiting for a D小二."))
        if conversation.assignee_id not in (None, staff.pk):
            raise WrongState(_("This consultation is offered to someone else; ask for a hand-over."))
        before = snapshot(conversation)
        conversation.status = ChatStatus.ACTIVE
        conversation.assignee = staff
        if conversation.owner_id is None:
            conversation.owner = staff
        conversation.save()
        step(conversation, "taken", actor=staff)
        events.emit(DeskAssigned(**subject(conversation), item="conversation", item_id=conversation.pk,
                                 staff=staff.username, taken=True))
        record_event(actor=staff, action="servicedesk.conversation_taken", obj=conversation, before=before,
                     after=snapshot(conversation))
    return conversation


def staff_reply(*, conversation: Conversation, staff: User, text: object, client_id: str = "") -> Message:
    """A D小二 answers; a reply to a waiting chat takes it first. Stops the response clock."""
    value = clean_text(text)
    if conversation.status == ChatStatus.WAITING:
        conversation = take_conversation(conversation=conversation, staff=staff)
    with events.atomic():
        conversation = locked(conversation)
        require_staff_on(staff, conversation)
        if conversation.status != ChatStatus.ACTIVE or conversation.assignee_id != staff.pk:
            raise WrongState(_("Take the consultation before answering it."))
        client_id = (client_id or "")[:64]
        if client_id:
            existing = Message.objects.filter(conversation=conversation, client_id=client_id).order_by("seq").first()
            if existing is not None:
                return existing
        now = timezone.now()
        first = conversation.first_response_at is None
        started = conversation.handed_over_at if first else _last_enterprise_at(conversation)
        policy = sla.policy_of(conversation)
        seconds = sla.counted_seconds(policy, started, now) if started else None
        on_time = conversation.due_at is None or now <= conversation.due_at
        if first:
            conversation.first_response_at = now
        sla.set_due(conversation, None)
        conversation.save()
        message = _append(conversation, kind=Message.Author.STAFF, text=value, author=staff, client_id=client_id)
        events.emit(DeskReplied(**subject(conversation), item="conversation", item_id=conversation.pk,
                                author="staff", staff=staff.username, first=first, seconds=seconds, on_time=on_time))
        record_event(actor=staff, action="servicedesk.replied", obj=conversation,
                     after={"seq": message.seq, "first": first, "on_time": on_time})
    return message


def _last_enterprise_at(conversation: Conversation) -> dt.datetime | None:
    last = conversation.messages.filter(author_kind=Message.Author.ENTERPRISE).order_by("-seq").first()
    return last.created_at if last is not None else None


def close_conversation(*, conversation: Conversation, user: User) -> Conversation:
    """The enterprise or the seat ends the chat; it can then be rated once."""
    with events.atomic():
        conversation = locked(conversation)
        if user.is_enterprise:
            require_enterprise_of(user, conversation)
        else:
            require_staff_on(user, conversation)
        if conversation.status == ChatStatus.CLOSED:
            return conversation
        before = snapshot(conversation)
        conversation.status = ChatStatus.CLOSED
        conversation.closed_at = timezone.now()
        conversation.closures += 1
        sla.set_due(conversation, None)
        conversation.escalate_at = None
        conversation.save()
        _append(conversation, kind=Message.Author.SYSTEM, text=_("本次咨询已结束，请为我们的服务评价。"))
        events.emit(DeskClosed(**subject(conversation), item="conversation", item_id=conversation.pk,
                               staff=conversation.owner.username if conversation.owner else ""))
        record_event(actor=user, action="servicedesk.conversation_closed", obj=conversation, before=before,
                     after=snapshot(conversation))
    return conversation


def messages_after(conversation: Conversation, after: int, *, limit: int = 500) -> list[Message]:
    """Messages with a sequence above `after`, in order: what a reconnecting client is missing."""
    return list(conversation.messages.select_related("author", "attachment").filter(seq__gt=max(after, 0))
                .order_by("seq")[:limit])


def ask_for_authorisation(*, conversation: Conversation, staff: User) -> Message:
    """政府替办 needs the enterprise's authorisation: the seat asks for it in the chat, with the page to grant it.

    The enterprise grants it on its authorisations page (the bundles app, linked by URL); nothing is granted here.
    """
    from django.urls import reverse

    with events.atomic():
        conversation = locked(conversation)
        require_staff_on(staff, conversation)
        if conversation.status == ChatStatus.CLOSED:
            raise WrongState(_("This consultation is closed; open a new one."))
        if not staff.is_agent:
            raise WrongState(_("You are not a government agent; ask your chief to make you one."))
        name = staff.display_name or staff.username
        text = _("%(name)s offers to handle your one-stop service on your behalf. If you agree, authorise "
                 "%(name)s on your authorisations page; you can revoke it at any time.") % {"name": name}
        message = _append(conversation, kind=Message.Author.SYSTEM, text=text, citations=[
            {"kind": "page", "key": "authorisations", "title": _("My authorisations"),
             "url": reverse("bundles:authorisations")}])
        step(conversation, "authorisation_asked", actor=staff)
        record_event(actor=staff, action="servicedesk.authorisation_asked", obj=conversation,
                     after={"seq": message.seq})
    return message
