"""Pages of the desk: the enterprise's 服务台, the chat panel's endpoints, the seat console, supervision."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk import queries
from qinqing.servicedesk.errors import DeskInvalid
from qinqing.servicedesk.models import Attachment, Conversation, DeskProfile, Handover, Rating, WorkOrder
from qinqing.servicedesk.services import attachments, chat, handovers, orders, ratings, sla
from qinqing.servicedesk.services.chat import message_payload
from qinqing.servicedesk.workflow import OPEN_ORDER, Stage

# What the file pickers offer (the type is checked by content on the server whatever the name says).
ACCEPT = ".pdf,.ofd,.jpg,.jpeg,.png,.docx,.xlsx"

QUICK_REPLIES = (
    "您好，我是您的亲清D小二，请问有什么可以帮您？",
    "请稍等，我正在为您查询相关政策和办事指南。",
    "您可以在“事项”中搜索该事项，点击“在线办理”提交申请。",
    "该问题需要线下核实，我将为您转为工单，24小时内答复。",
    "请问还有其他问题吗？如没有，本次咨询将结束，请您评价。",
)


def _desk(user: User) -> DeskProfile:
    desk = DeskProfile.objects.select_related("region").filter(user=user).first()
    if desk is None:
        raise PermissionDenied
    return desk


def _json_error(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status_code)


# ---- the enterprise -----------------------------------------------------------------------------


@login_required
@require_GET
def enterprise_desk(request: HttpRequest) -> HttpResponse:
    """The enterprise's 服务台: its dedicated D小二, its chats and work orders, ratings and rectifications."""
    user = request_user(request)
    if DeskProfile.objects.filter(user=user).exists():
        return redirect("servicedesk:console")
    if not user.is_enterprise:
        raise PermissionDenied
    return render(request, "servicedesk/enterprise.html", {
        "desk": queries.enterprise_desk(user), "kinds": orders.FILED_KINDS, "open": sla.in_service_hours()})


@login_required
@require_POST
def file_work_order(request: HttpRequest) -> HttpResponse:
    """Leave a message (留言) or file an appeal (诉求): becomes a work order with a 24-hour clock."""
    user = request_user(request)
    try:
        order = orders.file_work_order(user=user, kind=request.POST.get("kind", "message"),
                                       title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                       case_number=request.POST.get("case_number", ""))
    except DomainError as exc:
        if not user.is_enterprise:
            raise PermissionDenied from exc
        messages.error(request, "；".join([str(exc.message)] + [m for ms in exc.as_dict()["errors"].values() for m in ms]))
        return redirect("servicedesk:desk")
    messages.success(request, _("Your request %(number)s was received; we answer within 24 hours.") % {
        "number": order.number})
    return redirect("servicedesk:order", pk=order.pk)


# ---- the chat panel (JSON for the page's script; works without WebSockets) ----------------------


def _context(request: HttpRequest, user: User) -> dict[str, str]:
    kind, key = request.POST.get("context_kind", ""), request.POST.get("context_key", "")[:64]
    if kind == "matter":
        from qinqing.catalog.models import Matter

        matter = Matter.objects.select_related("department").filter(code=key).first()
        if matter is not None:
            return {"context_kind": "matter", "context_key": matter.code, "context_title": matter.name,
                    "topic": matter.department.code}
    if kind == "case" and key.isdigit():
        from qinqing.cases.models import Case

        case = Case.objects.visible_to(user).select_related("matter__department").filter(pk=int(key)).first()
        if case is not None:
            topic = case.matter.department.code if case.matter is not None else ""
            return {"context_kind": "case", "context_key": str(case.pk), "context_title": case.number, "topic": topic}
    if kind in ("bundle", "policy") and key:
        return {"context_kind": kind, "context_key": key, "context_title": key}
    return {}


@login_required
@require_POST
def open_chat(request: HttpRequest) -> HttpResponse:
    """Open a chat from the panel, with the page's matter, case or 一件事 as its context."""
    user = request_user(request)
    try:
        conversation = chat.open_conversation(user=user, **_context(request, user))
    except DomainError as exc:
        return _json_error(exc)
    return JsonResponse(_chat_json(conversation, user), status=201)


def _chat_json(conversation: Conversation, user: User, after: int = 0) -> dict[str, Any]:
    body = queries.conversation_payload(conversation, user, after=after)
    body["due_at"] = body["due_at"].isoformat() if body["due_at"] else None
    return body


def _visible_chat(user: User, pk: int) -> Conversation:
    conversation: Conversation = get_object_or_404(Conversation.objects.visible_to(user), pk=pk)
    return conversation


@login_required
def chat_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: messages after `after` (the polling fallback). POST: send one (`text`, `client_id`)."""
    user = request_user(request)
    conversation = _visible_chat(user, pk)
    if request.method == "POST":
        text, client_id = request.POST.get("text", ""), request.POST.get("client_id", "")
        try:
            if user.is_enterprise:
                message = chat.post_message(conversation=conversation, user=user, text=text, client_id=client_id)
            else:
                message = chat.staff_reply(conversation=conversation, staff=user, text=text, client_id=client_id)
        except DomainError as exc:
            return _json_error(exc)
        return JsonResponse({"type": "ack", "client_id": client_id, "seq": message.seq,
                             "message": message_payload(message)}, status=201)
    after = request.GET.get("after", "0")
    return JsonResponse(_chat_json(conversation, user, after=int(after) if after.isdigit() else 0))


CHAT_ACTIONS = ("human", "take", "close", "handover", "convert")


@login_required
@require_POST
def chat_action(request: HttpRequest, pk: int) -> HttpResponse:
    """转人工, take, close, hand over, convert to a work order; a supervisor's 催办 and reassignment."""
    user = request_user(request)
    conversation = _visible_chat(user, pk)
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
            return _json_error(exc)
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_chat_json(conversation, user))
    return redirect("servicedesk:conversation", pk=conversation.pk)


@login_required
@require_GET
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One chat: the enterprise's view (with its rating), or the seat's with the enterprise's context."""
    user = request_user(request)
    conversation = _visible_chat(user, pk)
    is_desk = DeskProfile.objects.filter(user=user).exists()
    context: dict[str, Any] = {"conversation": conversation, "is_desk": is_desk, "levels": Rating.choices,
                               "can_rate": user.is_enterprise and ratings.can_rate(conversation),
                               "quick_replies": QUICK_REPLIES, "accept": ACCEPT,
                               "evaluations": conversation.evaluations.order_by("closure")}
    if is_desk:
        context |= queries.enterprise_context(conversation, user)
        context["colleagues"] = queries.staff_in_scope(user)
        context["is_supervisor"] = _desk(user).is_supervisor
        context["acting"] = queries.acting_for(conversation.enterprise, user)
        context["escalations"] = conversation.escalations.select_related("to_user", "by").order_by("at")
    return render(request, "servicedesk/conversation.html", context)


# ---- work orders --------------------------------------------------------------------------------


def _visible_order(user: User, pk: int) -> WorkOrder:
    order: WorkOrder = get_object_or_404(WorkOrder.objects.visible_to(user), pk=pk)
    return order


@login_required
@require_GET
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    order = _visible_order(user, pk)
    desk = DeskProfile.objects.filter(user=user).first()
    return render(request, "servicedesk/order.html", {
        "order": order, "steps": queries.steps_of(order), "desk": desk, "levels": Rating.choices,
        "attachments": order.attachments.select_related("uploaded_by"), "open": order.status in OPEN_ORDER,
        "accept": ACCEPT,
        "can_rate": user.is_enterprise and ratings.can_rate(order),
        "evaluations": order.evaluations.order_by("closure"), "stages": Stage.choices,
        "colleagues": queries.staff_in_scope(user) if desk else []})


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff actions on a work order: take, reply, pause, resume, resolve, escalate, advance, hand over, urge, reassign."""
    user = request_user(request)
    order = _visible_order(user, pk)
    action, text = request.POST.get("action", ""), request.POST.get("text", "")
    to = User.objects.filter(username=request.POST.get("to", "")).first()
    try:
        if not DeskProfile.objects.filter(user=user).exists():
            raise PermissionDenied
        if action == "take":
            orders.take_work_order(order=order, staff=user)
        elif action == "reply":
            orders.reply_work_order(order=order, staff=user, text=text)
        elif action == "pause":
            sla.pause_order(order=order, by=user, reason=text)
        elif action == "resume":
            sla.resume_order(order=order, by=user)
        elif action == "resolve":
            orders.resolve_work_order(order=order, staff=user, resolution=text)
        elif action == "escalate":
            sla.escalate(item=order, by=user, note=text)
        elif action == "advance":
            orders.advance_rectification(order=order, staff=user, note=text)
        elif action == "urge":
            handovers.urge(item=order, by=user, note=text)
        elif action in ("handover", "reassign") and to is not None:
            if action == "handover":
                handovers.hand_over(item=order, by=user, to=to, reason=text)
            else:
                handovers.reassign(item=order, by=user, to=to, note=text)
        else:
            raise DeskInvalid(_("Unknown action."))
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    return redirect("servicedesk:order", pk=order.pk)


@login_required
@require_POST
def decide_handover(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    handover = get_object_or_404(Handover.objects.filter(to_user=user), pk=pk)
    try:
        handovers.decide_handover(handover=handover, by=user, accept=request.POST.get("accept") == "1")
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("servicedesk:console")


@login_required
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    """The enterprise rates a closed chat or work order (five levels, sub-indicators, a comment)."""
    user = request_user(request)
    kind, pk = request.POST.get("item", ""), request.POST.get("id", "")
    if not pk.isdigit() or kind not in ("conversation", "work_order"):
        raise Http404
    item: Conversation | WorkOrder = (_visible_chat(user, int(pk)) if kind == "conversation"
                                      else _visible_order(user, int(pk)))
    indicators = {name: int(v) for name in ("speed", "attitude", "professionalism", "result")
                  if (v := request.POST.get(name, "")).isdigit()}
    try:
        evaluation = ratings.rate(item=item, user=user, level=request.POST.get("level", ""), indicators=indicators,
                                  comment=request.POST.get("comment", "")[:1000])
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return redirect(_url_of(item))
    rectification = ratings.rectification_of(evaluation)
    if rectification is not None:
        messages.info(request, _("We are sorry. Rectification %(number)s has been opened; you can follow each step.")
                      % {"number": rectification.number})
        return redirect("servicedesk:order", pk=rectification.pk)
    messages.success(request, _("Thank you for your rating."))
    return redirect(_url_of(item))


def _url_of(item: Conversation | WorkOrder) -> str:
    from django.urls import reverse

    name = "servicedesk:conversation" if isinstance(item, Conversation) else "servicedesk:order"
    return reverse(name, kwargs={"pk": item.pk})


# ---- staff ----------------------------------------------------------------------------------------


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """The seat console: waiting and active chats with live countdowns, work orders, hand-overs to accept."""
    user = request_user(request)
    _desk(user)
    return render(request, "servicedesk/console.html", {"c": queries.console(user)})


@login_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    desk = _desk(user)
    desk.available = request.POST.get("available") == "1"
    desk.save(update_fields=["available"])
    return redirect("servicedesk:console")


@login_required
@require_GET
def supervise(request: HttpRequest) -> HttpResponse:
    """Overdue and near-due items in scope, reassign and 催办, and the report by level, role, person, region."""
    user = request_user(request)
    if not _desk(user).is_supervisor:
        raise PermissionDenied
    data = queries.report(user)
    return render(request, "servicedesk/supervise.html", {
        "due": queries.overdue_and_near(user), "report": data, "colleagues": queries.staff_in_scope(user),
        "by_level": queries.group_report(data["rows"], "level"),
        "by_region": queries.group_report(data["rows"], "region"),
        "by_role": queries.group_report(data["rows"], "roles")})


@login_required
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    """The supervision report as an Excel workbook: one sheet per grouping."""
    from openpyxl import Workbook

    user = request_user(request)
    if not _desk(user).is_supervisor:
        raise PermissionDenied
    data = queries.report(user)
    book = Workbook()
    sheets = (("person", data["rows"]), ("level", queries.group_report(data["rows"], "level")),
              ("roles", queries.group_report(data["rows"], "roles")),
              ("region", queries.group_report(data["rows"], "region")))
    levels = [label for _value, label in data["rating_levels"]]
    for index, (key, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = key
        sheet.append([key, "已办结", "首次响应", "按时响应", "达标率%", "超时督办", *[str(x) for x in levels]])
        for row in rows:
            sheet.append([row[key] if key != "person" else row["person"], row["closed"], row["first"], row["on_time"],
                          row["attainment"], row["breaches"], *row["ratings"].values()])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="servicedesk-report.xlsx"'
    return response


# ---- attachments ----------------------------------------------------------------------------------


def _attach(request: HttpRequest, item: Conversation | WorkOrder) -> Attachment:
    upload = request.FILES.get("file")
    if upload is None:
        raise DeskInvalid(_("Choose a file."), errors={"file": [_("This field is required.")]})
    return attachments.attach(item=item, user=request_user(request), handle=upload, name=upload.name or "file",
                              size=upload.size, client_id=request.POST.get("client_id", ""))


@login_required
@require_POST
def chat_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a file in a chat (multipart `file`, optional `client_id`): checked by content, then pushed like a message."""
    conversation = _visible_chat(request_user(request), pk)
    try:
        attachment = _attach(request, conversation)
    except DomainError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return _json_error(exc)
        if exc.status_code == 403:
            raise PermissionDenied from exc
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        if not exc.errors:
            messages.error(request, str(exc.message))
        return redirect("servicedesk:conversation", pk=conversation.pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        message = attachment.message
        assert message is not None
        return JsonResponse({"type": "ack", "seq": message.seq, "client_id": message.client_id,
                             "message": message_payload(message)}, status=201)
    return redirect("servicedesk:conversation", pk=conversation.pk)


@login_required
@require_POST
def order_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a file to a work order (the enterprise's evidence, the D小二's answer), checked by content."""
    order = _visible_order(request_user(request), pk)
    try:
        _attach(request, order)
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        if not exc.errors:
            messages.error(request, str(exc.message))
    else:
        messages.success(request, _("File added."))
    return redirect("servicedesk:order", pk=order.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download an attachment of a chat or work order the user may see (another enterprise's: 404).

    Always as a download, typed by the content found at upload; `nosniff` and a sandboxing CSP keep a
    browser from running it as a page.
    """
    attachment = attachments.visible_attachments(request_user(request)).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachments.download(attachment)
