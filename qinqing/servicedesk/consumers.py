"""The chat's WebSocket at /ws/conversations/{id}/: scope-checked, persisted before acknowledged, catch-up by seq.

Protocol (JSON): the client sends `{"type": "catch_up", "after": N}` after connecting (and after every
reconnect) and gets every message with a higher sequence; it sends `{"type": "message", "text": …,
"client_id": …}` and gets `{"type": "ack", "client_id", "seq"}` once the message is stored. Every stored
message is pushed to all connected clients as `{"type": "message", "message": {...}}`; clients drop
sequences they have and ask to catch up when they see a gap.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import path

from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk.errors import NotYours
from qinqing.servicedesk.models import Conversation
from qinqing.servicedesk.services import chat
from qinqing.servicedesk.services._common import collected_pushes, group_name

NOT_FOUND = 4404
log = logging.getLogger(__name__)


@functools.cache
def _db(func: Any) -> Any:
    """Run ORM work off the event loop, in the thread pool: chats do not queue behind one thread.

    Tests keep Django's one thread: their data lives in a transaction other connections cannot see. One
    wrapper per function (cached): building one inspects the function's signature, ≈ 0.4 ms a frame otherwise.
    """
    return database_sync_to_async(func, thread_sensitive=bool(getattr(settings, "TESTING", False)))


def _visible(user: object, conversation_id: int) -> Conversation | None:
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return None
    found: Conversation | None = Conversation.objects.visible_to(user).filter(pk=conversation_id).first()
    return found


def _catch_up(conversation_id: int, after: int) -> dict[str, Any]:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages = [chat.message_payload(m) for m in chat.messages_after(conversation, after)]
    return {"type": "catch_up", "status": conversation.status, "last_seq": conversation.last_seq,
            "messages": messages}


def _send(user: User, conversation: Conversation, text: object,
          client_id: str) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Store the message (the service checks who may write, under the row lock); return the ack, or None when
    the writer lost the conversation (a hand-over moved it out of the seat's scope), and the pushes to send."""
    with collected_pushes() as pushes:
        try:
            if user.is_enterprise:
                # Its own conversation stays its own: the instance read at connect serves (the service locks
                # and re-reads the row), no query before the transaction.
                message = chat.post_message(conversation=conversation, user=user, text=text, client_id=client_id)
            else:
                fresh = Conversation.objects.get(pk=conversation.pk)
                message = chat.staff_reply(conversation=fresh, staff=user, text=text, client_id=client_id)
        except (NotYours, Conversation.DoesNotExist):
            return None, list(pushes)
        except DomainError as exc:
            return {"type": "error", "client_id": client_id, **exc.as_dict()}, list(pushes)
    return {"type": "ack", "client_id": client_id, "seq": message.seq}, pushes


class ConversationConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One connected client of one conversation."""

    conversation_id: int = 0
    conversation: Conversation

    async def connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        conversation = await _db(_visible)(self.scope.get("user"), self.conversation_id)
        if conversation is None:
            await self.close(code=NOT_FOUND)
            return
        self.conversation = conversation
        await self.channel_layer.group_add(group_name(self.conversation_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.conversation_id:
            await self.channel_layer.group_discard(group_name(self.conversation_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "code": "bad_request", "detail": "expected an object"})
            return
        kind = content.get("type")
        if kind == "catch_up":
            after = content.get("after")
            after = after if isinstance(after, int) and not isinstance(after, bool) else 0
            await self.send_json(await _db(_catch_up)(self.conversation_id, after))
        elif kind == "message":
            client_id = content.get("client_id")
            client_id = client_id[:64] if isinstance(client_id, str) else ""
            answer, pushes = await _db(_send)(self.scope["user"], self.conversation, content.get("text"), client_id)
            # The stored message goes to everyone from this loop, encoded once by the service.
            for group, text in pushes:
                try:
                    await self.channel_layer.group_send(group, {"type": "desk.event", "text": text})
                except Exception:  # the message is stored; clients close the gap by sequence (catch_up)
                    log.exception("could not push to %s", group)
            if answer is None:  # no longer this seat's conversation
                await self.close(code=NOT_FOUND)
                return
            await self.send_json(answer)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "bad_request", "detail": "unknown type"})

    async def desk_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])  # JSON already


websocket_urlpatterns = [
    path("ws/conversations/<int:conversation_id>/", ConversationConsumer.as_asgi()),
]
