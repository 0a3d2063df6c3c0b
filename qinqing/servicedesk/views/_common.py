"""What the desk's pages share: the file types offered, quick replies, finding a visible chat or work order."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk import queries
from qinqing.servicedesk.models import Conversation, DeskProfile, WorkOrder

# What the file pickers offer (the type is checked by content on the server whatever the name says).
ACCEPT = ".pdf,.ofd,.jpg,.jpeg,.png,.docx,.xlsx"

QUICK_REPLIES = (
    "您好，我是您的亲清D小二，请问有什么可以帮您？",
    "请稍等，我正在为您查询相关政策和办事指南。",
    "您可以在“事项”中搜索该事项，点击“在线办理”提交申请。",
    "该问题需要线下核实，我将为您转为工单，24小时内答复。",
    "请问还有其他问题吗？如没有，本次咨询将结束，请您评价。",
)


def seat_of(user: User) -> DeskProfile:
    desk = DeskProfile.objects.select_related("region").filter(user=user).first()
    if desk is None:
        raise PermissionDenied
    return desk


def json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status_code)


def chat_json(conversation: Conversation, user: User, after: int = 0) -> dict[str, Any]:
    body = queries.conversation_payload(conversation, user, after=after)
    body["due_at"] = body["due_at"].isoformat() if body["due_at"] else None
    return body


def visible_chat(user: User, pk: int) -> Conversation:
    conversation: Conversation = get_object_or_404(Conversation.objects.visible_to(user), pk=pk)
    return conversation


def visible_order(user: User, pk: int) -> WorkOrder:
    order: WorkOrder = get_object_or_404(WorkOrder.objects.visible_to(user), pk=pk)
    return order


def url_of(item: Conversation | WorkOrder) -> str:
    from django.urls import reverse

    name = "servicedesk:conversation" if isinstance(item, Conversation) else "servicedesk:order"
    return reverse(name, kwargs={"pk": item.pk})
