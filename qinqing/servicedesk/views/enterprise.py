"""The enterprise's 服务台: its desk page, filing a work order, opening a chat, rating what was closed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk import queries
from qinqing.servicedesk.models import Conversation, DeskProfile, WorkOrder
from qinqing.servicedesk.services import chat, orders, ratings, sla
from qinqing.servicedesk.views._common import (
    chat_json,
    json_error,
    url_of,
    visible_chat,
    visible_order,
)

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
        return json_error(exc)
    return JsonResponse(chat_json(conversation, user), status=201)


@login_required
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    """The enterprise rates a closed chat or work order (five levels, sub-indicators, a comment)."""
    user = request_user(request)
    kind, pk = request.POST.get("item", ""), request.POST.get("id", "")
    if not pk.isdigit() or kind not in ("conversation", "work_order"):
        raise Http404
    item: Conversation | WorkOrder = (visible_chat(user, int(pk)) if kind == "conversation"
                                      else visible_order(user, int(pk)))
    indicators = {name: int(v) for name in ("speed", "attitude", "professionalism", "result")
                  if (v := request.POST.get(name, "")).isdigit()}
    try:
        evaluation = ratings.rate(item=item, user=user, level=request.POST.get("level", ""), indicators=indicators,
                                  comment=request.POST.get("comment", "")[:1000])
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return redirect(url_of(item))
    rectification = ratings.rectification_of(evaluation)
    if rectification is not None:
        messages.info(request, _("We are sorry. Rectification %(number)s has been opened; you can follow each step.")
                      % {"number": rectification.number})
        return redirect("servicedesk:order", pk=rectification.pk)
    messages.success(request, _("Thank you for your rating."))
    return redirect(url_of(item))
