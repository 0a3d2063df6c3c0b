"""The chat panel's endpoints and the conversation page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk import queries
from qinqing.servicedesk.errors import DeskInvalid
from qinqing.servicedesk.models import DeskProfile, Rating
from qinqing.servicedesk.services import chat, handovers, orders, ratings
from qinqing.servicedesk.services.chat import message_payload
from qinqing.servicedesk.views._common import (
    ACCEPT,
    QUICK_REPLIES,
    chat_json,
    json_error,
    seat_of,
    visible_chat,
)


@login_required
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: messages after `after` (the polling fallback). POST: send one (`text`, `client_id`)."""
    user = request_user(request)
    conversation = visible_chat(user, pk)
    if request.method == "POST":
        text, client_id = request.POST.get("text", ""), request.POST.get("client_id", "")
        try:
            if user.is_enterprise:
                message = chat.post_message(conversation=conversation, user=user, text=text, client_id=client_id)
            else:
                message = chat.staff_reply(conversation=conversation, staff=user, text=text, client_id=client_id)
        except DomainError as exc:
            return json_error(exc)
        return JsonResponse({"type": "ack", "client_id": client_id, "seq": message.seq,
                             "message": message_payload(message)}, status=201)
    after = request.GET.get("after", "0")
    return JsonResponse(chat_json(conversation, user, after=int(after) if after.isdigit() else 0))


CHAT_ACTIONS = ("human", "take", "close", "handover", "convert")


@login_required
@require_POST
def chat_action(request: HttpRequest, pk: int) -> HttpResponse:
    """转人工, take, close, hand over, convert to a work order; a supervisor's 催办 and reassignment."""
    user = request_user(request)
    conversation = visible_chat(user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "human":
            chat.ask_for_human(conversation=conversation, user=user)
        elif action == "take":
            chat.take_conversation(conversation=conversation, staff=user)
        elif action == "close":
            chat.close_conversation(conversation=conversation, user=user)
        elif action == "handover":
            to = User.objects.filter(username=request.POST.get("to", "")).first()
            if to is None:
                raise DeskInvalid(_("Choose another D小二."), errors={"to": [_("Not a D小二.")]})
            handovers.hand_over(item=conversation, by=user, to=to, reason=request.POST.get("reason", ""))
        elif action == "ask_authorisation":
            chat.ask_for_authorisation(conversation=conversation, staff=user)
            messages.success(request, _("The enterprise has been asked for an authorisation."))
        elif action in ("urge", "reassign"):
            # 督办 on a chat, as on a work order: press the holder, or move the chat to another seat.
            if action == "urge":
                handovers.urge(item=conversation, by=user, note=request.POST.get("note", "")[:500])
            else:
                to = User.objects.filter(username=request.POST.get("to", "")).first()
                if to is None:
                    raise DeskInvalid(_("Choose another D小二."), errors={"to": [_("Not a D小二.")]})
                handovers.reassign(item=conversation, by=user, to=to, note=request.POST.get("note", "")[:500])
        elif action == "convert":
            order = orders.convert_to_work_order(conversation=conversation, staff=user,
                                                 title=request.POST.get("title", ""), note=request.POST.get("note", ""))
            return redirect("servicedesk:order", pk=order.pk)
        else:
            raise DeskInvalid(_("Unknown action."))
    except DomainError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return json_error(exc)
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(chat_json(conversation, user))
    return redirect("servicedesk:conversation", pk=conversation.pk)


@login_required
@require_GET
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One chat: the enterprise's view (with its rating), or the seat's with the enterprise's context."""
    user = request_user(request)
    conversation = visible_chat(user, pk)
    is_desk = DeskProfile.objects.filter(user=user).exists()
    context: dict[str, Any] = {"conversation": conversation, "is_desk": is_desk, "levels": Rating.choices,
                               "can_rate": user.is_enterprise and ratings.can_rate(conversation),
                               "quick_replies": QUICK_REPLIES, "accept": ACCEPT,
                               "evaluations": conversation.evaluations.order_by("closure")}
    if is_desk:
        context |= queries.enterprise_context(conversation, user)
        context["colleagues"] = queries.staff_in_scope(user)
        context["is_supervisor"] = seat_of(user).is_supervisor
        context["acting"] = queries.acting_for(conversation.enterprise, user)
        context["escalations"] = conversation.escalations.select_related("to_user", "by").order_by("at")
    return render(request, "servicedesk/conversation.html", context)


# ---- work orders --------------------------------------------------------------------------------
