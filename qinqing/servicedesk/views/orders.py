"""A work order's page and actions, and deciding a hand-over."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
from qinqing.servicedesk import queries
from qinqing.servicedesk.errors import DeskInvalid
from qinqing.servicedesk.models import DeskProfile, Handover, Rating
from qinqing.servicedesk.services import handovers, orders, ratings, sla
from qinqing.servicedesk.views._common import (
    ACCEPT,
    visible_order,
)
from qinqing.servicedesk.workflow import OPEN_ORDER, Stage


@login_required
@require_GET
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    order = visible_order(user, pk)
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
    order = visible_order(user, pk)
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
