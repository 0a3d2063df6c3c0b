"""Service-desk endpoints: chats, work orders and their staff actions, hand-overs, evaluations."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from qinqing.accounts.http import request_user
from qinqing.core.api import ErrorOut
from qinqing.servicedesk.api.schemas import (
    ConversationOut,
    DeskAttachmentOut,
    DeskDecisionIn,
    EvaluationIn,
    EvaluationOut,
    HandoverIn,
    HandoverOut,
    NoteIn,
    OpenIn,
    ResolveIn,
    TextIn,
    WorkOrderIn,
    WorkOrderOut,
)
from qinqing.servicedesk.errors import DeskInvalid
from qinqing.servicedesk.models import Attachment, Conversation, Handover, WorkOrder
from qinqing.servicedesk.queries import conversation_payload, work_order_payload
from qinqing.servicedesk.services import attachments, chat, handovers, orders, ratings, sla

router = Router(tags=["service desk"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut,
                         422: ErrorOut, 429: ErrorOut}


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation: Conversation = get_object_or_404(Conversation.objects.visible_to(request_user(request)),
                                                   pk=conversation_id)
    return conversation


def _order(request: HttpRequest, order_id: int) -> WorkOrder:
    order: WorkOrder = get_object_or_404(WorkOrder.objects.visible_to(request_user(request)), pk=order_id)
    return order


def _file_url(attachment: Attachment) -> str:
    if attachment.conversation_id is not None:
        return reverse("api:desk_conversation_attachment",
                       kwargs={"conversation_id": attachment.conversation_id, "attachment_id": attachment.pk})
    return reverse("api:desk_work_order_attachment",
                   kwargs={"order_id": attachment.work_order_id, "attachment_id": attachment.pk})


def _attachment_out(attachment: Attachment) -> dict[str, Any]:
    message = attachment.message
    return {"id": attachment.pk, "name": attachment.original_name, "size": attachment.size,
            "content_type": attachment.content_type, "sha256": attachment.sha256,
            "uploaded_by": "enterprise" if attachment.uploaded_by.is_enterprise else "staff",
            "created_at": attachment.created_at, "seq": message.seq if message else None,
            "client_id": message.client_id if message else "", "url": _file_url(attachment)}


def _with_api_links(body: dict[str, Any]) -> dict[str, Any]:
    """Point each message's file at this API's download route (the page's link needs a session)."""
    for message in body["messages"]:
        file = message.get("attachment")
        if file:
            file["url"] = reverse("api:desk_conversation_attachment",
                                  kwargs={"conversation_id": body["id"], "attachment_id": file["id"]})
    return body


def _chat_out(conversation: Conversation, user: Any, *, after: int = 0) -> dict[str, Any]:
    return _with_api_links(conversation_payload(conversation, user, after=after))


def _receiver(username: str) -> Any:
    from qinqing.accounts.models import User

    user = User.objects.filter(username=username, desk__isnull=False).first()
    if user is None:
        raise DeskInvalid(_("Choose another D小二."), errors={"to": [_("Not a D小二.")]})
    return user


@router.post("/conversations", response={201: ConversationOut, **ERRORS})
def open_conversation(request: HttpRequest, payload: OpenIn) -> Status[Any]:
    """Open a chat (the assistant answers first); an enterprise only."""
    user = request_user(request)
    conversation = chat.open_conversation(user=user, context_kind=payload.context_kind, context_key=payload.context_key)
    if payload.text.strip():
        chat.post_message(conversation=conversation, user=user, text=payload.text)
    return Status(201, _chat_out(conversation, user))


@router.get("/conversations/{conversation_id}", response={200: ConversationOut, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: int, after: int = 0) -> dict[str, Any]:
    """A chat and its messages after sequence `after` (0: all), for catching up after a reconnect."""
    conversation = _conversation(request, conversation_id)
    return _chat_out(conversation, request_user(request), after=after)


@router.post("/conversations/{conversation_id}/messages", response={201: ConversationOut, **ERRORS})
def post_message(request: HttpRequest, conversation_id: int, payload: TextIn, after: int = 0) -> Status[Any]:
    """Write into a chat: the enterprise (the assistant may answer at once) or the D小二 holding it."""
    user = request_user(request)
    conversation = _conversation(request, conversation_id)
    if user.is_enterprise:
        chat.post_message(conversation=conversation, user=user, text=payload.text, client_id=payload.client_id)
    else:
        chat.staff_reply(conversation=conversation, staff=user, text=payload.text, client_id=payload.client_id)
    return Status(201, _chat_out(conversation, user, after=after))


@router.post("/conversations/{conversation_id}/human", response={200: ConversationOut, **ERRORS})
def ask_for_human(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """转人工: hand the chat to a D小二 (outside service hours the answer says so)."""
    user = request_user(request)
    conversation = chat.ask_for_human(conversation=_conversation(request, conversation_id), user=user)
    return _chat_out(conversation, user)


@router.post("/conversations/{conversation_id}/take", response={200: ConversationOut, **ERRORS})
def take_conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """A D小二 takes a waiting chat and owns it (首问责任)."""
    user = request_user(request)
    conversation = chat.take_conversation(conversation=_conversation(request, conversation_id), staff=user)
    return _chat_out(conversation, user)


@router.post("/conversations/{conversation_id}/close", response={200: ConversationOut, **ERRORS})
def close_conversation(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    user = request_user(request)
    conversation = chat.close_conversation(conversation=_conversation(request, conversation_id), user=user)
    return _chat_out(conversation, user)


@router.post("/workorders", response={201: WorkOrderOut, **ERRORS})
def file_work_order(request: HttpRequest, payload: WorkOrderIn) -> Status[Any]:
    """Leave a message (留言), file an appeal (诉求) or a question about a case; answered within 24 hours."""
    user = request_user(request)
    conversation = _conversation(request, payload.conversation) if payload.conversation else None
    order = orders.file_work_order(user=user, kind=payload.kind, title=payload.title, body=payload.body,
                                   case_number=payload.case_number, conversation=conversation)
    return Status(201, work_order_payload(order, user))


@router.get("/workorders/{order_id}", response={200: WorkOrderOut, **ERRORS})
def get_work_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return work_order_payload(_order(request, order_id), request_user(request))


@router.post("/workorders/{order_id}/take", response={200: WorkOrderOut, **ERRORS})
def take_work_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    user = request_user(request)
    return work_order_payload(orders.take_work_order(order=_order(request, order_id), staff=user), user)


@router.post("/workorders/{order_id}/handover", response={201: HandoverOut, **ERRORS})
def hand_over_work_order(request: HttpRequest, order_id: int, payload: HandoverIn) -> Status[Any]:
    """Ask another D小二 (or level) to take it; the owner stays accountable until they accept."""
    user = request_user(request)
    order = _order(request, order_id)
    handover = handovers.hand_over(item=order, by=user, to=_receiver(payload.to), reason=payload.reason)
    return Status(201, _handover_out(handover))


@router.post("/workorders/{order_id}/reply", response={200: WorkOrderOut, **ERRORS})
def reply_work_order(request: HttpRequest, order_id: int, payload: TextIn) -> dict[str, Any]:
    user = request_user(request)
    order = orders.reply_work_order(order=_order(request, order_id), staff=user, text=payload.text)
    return work_order_payload(order, user)


@router.post("/workorders/{order_id}/resolve", response={200: WorkOrderOut, **ERRORS})
def resolve_work_order(request: HttpRequest, order_id: int, payload: ResolveIn) -> dict[str, Any]:
    user = request_user(request)
    order = orders.resolve_work_order(order=_order(request, order_id), staff=user, resolution=payload.resolution)
    return work_order_payload(order, user)


@router.post("/workorders/{order_id}/escalate", response={200: WorkOrderOut, **ERRORS})
def escalate_work_order(request: HttpRequest, order_id: int, payload: NoteIn) -> dict[str, Any]:
    """Ask supervision (督办) for help now."""
    user = request_user(request)
    order = sla.escalate(item=_order(request, order_id), by=user, note=payload.note)
    assert isinstance(order, WorkOrder)
    return work_order_payload(order, user)


@router.post("/handovers/{handover_id}", response={200: HandoverOut, **ERRORS})
def decide_handover(request: HttpRequest, handover_id: int, payload: DeskDecisionIn) -> dict[str, Any]:
    """The receiver accepts (and owns the item from then on) or declines."""
    user = request_user(request)
    handover = get_object_or_404(Handover.objects.filter(to_user=user), pk=handover_id)
    return _handover_out(handovers.decide_handover(handover=handover, by=user, accept=payload.accept))


@router.post("/evaluations", response={201: EvaluationOut, **ERRORS})
def evaluate(request: HttpRequest, payload: EvaluationIn) -> Status[Any]:
    """Rate a closed chat or work order on the five official levels; once per closure, the enterprise only."""
    user = request_user(request)
    if (payload.conversation is None) == (payload.work_order is None):
        raise DeskInvalid(_("Rate either a conversation or a work order."),
                          errors={"conversation": [_("Give exactly one of conversation and work_order.")]})
    item: Conversation | WorkOrder = (_conversation(request, payload.conversation) if payload.conversation
                                      else _order(request, payload.work_order or 0))
    evaluation = ratings.rate(item=item, user=user, level=payload.level, indicators=payload.indicators,
                              comment=payload.comment)
    rectification = ratings.rectification_of(evaluation)
    return Status(201, {"id": evaluation.pk, "level": evaluation.level, "closure": evaluation.closure,
                        "rectification": rectification.number if rectification else None})


# ---- attachments: the page's checks (size, type by content, markup, archives), the API's scope -------------


@router.post("/conversations/{conversation_id}/attachments", response={201: DeskAttachmentOut, **ERRORS})
def attach_to_conversation(request: HttpRequest, conversation_id: int, file: File[UploadedFile],
                           client_id: Form[str] = "") -> Status[Any]:
    """Send a file in a chat (multipart `file`): checked by content, stored, then pushed like a message.

    A resend with the same `client_id` returns the file already sent instead of sending it twice."""
    conversation = _conversation(request, conversation_id)
    attachment = attachments.attach(item=conversation, user=request_user(request), handle=file,
                                    name=file.name or "file", size=file.size, client_id=client_id)
    return Status(201, _attachment_out(attachment))


@router.get("/conversations/{conversation_id}/attachments", response={200: list[DeskAttachmentOut], **ERRORS})
def conversation_attachments(request: HttpRequest, conversation_id: int) -> list[dict[str, Any]]:
    """The files of a chat, oldest first."""
    conversation = _conversation(request, conversation_id)
    return [_attachment_out(a) for a in conversation.attachments.select_related("message", "uploaded_by")]


@router.get("/conversations/{conversation_id}/attachments/{attachment_id}", response={200: None, **ERRORS},
            url_name="desk_conversation_attachment")
def download_conversation_attachment(request: HttpRequest, conversation_id: int, attachment_id: int) -> FileResponse:
    """Download one file of a chat the caller may see."""
    conversation = _conversation(request, conversation_id)
    return attachments.download(get_object_or_404(Attachment, pk=attachment_id, conversation=conversation))


@router.post("/workorders/{order_id}/attachments", response={201: DeskAttachmentOut, **ERRORS})
def attach_to_work_order(request: HttpRequest, order_id: int, file: File[UploadedFile]) -> Status[Any]:
    """Add a file to an open work order (the enterprise's evidence, the D小二's answer), checked by content."""
    order = _order(request, order_id)
    attachment = attachments.attach(item=order, user=request_user(request), handle=file, name=file.name or "file",
                                    size=file.size)
    return Status(201, _attachment_out(attachment))


@router.get("/workorders/{order_id}/attachments", response={200: list[DeskAttachmentOut], **ERRORS})
def work_order_attachments(request: HttpRequest, order_id: int) -> list[dict[str, Any]]:
    """The files of a work order, oldest first."""
    order = _order(request, order_id)
    return [_attachment_out(a) for a in order.attachments.select_related("message", "uploaded_by")]


@router.get("/workorders/{order_id}/attachments/{attachment_id}", response={200: None, **ERRORS},
            url_name="desk_work_order_attachment")
def download_work_order_attachment(request: HttpRequest, order_id: int, attachment_id: int) -> FileResponse:
    """Download one file of a work order the caller may see."""
    order = _order(request, order_id)
    return attachments.download(get_object_or_404(Attachment, pk=attachment_id, work_order=order))


def _handover_out(handover: Handover) -> dict[str, Any]:
    return {"id": handover.pk, "status": handover.status, "from_user": handover.from_user.username,
            "to_user": handover.to_user.username}
