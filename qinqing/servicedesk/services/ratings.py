"""Closed-loop evaluation (闭环评价): one rating per closure; a bad one reopens the item as a rectification."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.events.types import DeskRated
from qinqing.servicedesk.errors import AlreadyRated, DeskInvalid, WrongState
from qinqing.servicedesk.models import SUB_INDICATORS, Conversation, Evaluation, Rating, WorkOrder
from qinqing.servicedesk.services._common import about, kind_of, locked, require_enterprise_of, step, subject
from qinqing.servicedesk.services.orders import create_order
from qinqing.servicedesk.workflow import ChatStatus, OrderStatus, Stage


def _clean_indicators(raw: Any) -> dict[str, int]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise DeskInvalid(_("Sub-indicators must be an object."), errors={"indicators": [_("Must be an object.")]})
    out: dict[str, int] = {}
    for key, value in raw.items():
        if key not in SUB_INDICATORS or not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise DeskInvalid(_("Rate each sub-indicator from 1 to 5."),
                              errors={f"indicators.{key}": [_("A whole number from 1 to 5.")]})
        out[key] = value
    return out


def rate(*, item: Conversation | WorkOrder, user: User, level: str, indicators: Any = None,
         comment: str = "") -> Evaluation:
    """The enterprise rates a closed item; a bad rating opens a rectification owned by the same D小二."""
    require_enterprise_of(user, item)
    if level not in Rating.values:
        raise DeskInvalid(_("Choose one of the five levels."), errors={"level": [_("Not one of the allowed values.")]})
    scores = _clean_indicators(indicators)
    if len(comment) > 1000:
        raise DeskInvalid(_("The comment is too long."), errors={"comment": [_("At most %(n)d characters.") % {"n": 1000}]})
    with events.atomic():
        item = locked(item)
        closed = item.status == (ChatStatus.CLOSED if isinstance(item, Conversation) else OrderStatus.RESOLVED)
        if not closed or item.closures == 0:
            raise WrongState(_("Rate it once it is closed."))
        if Evaluation.objects.filter(**about(item), closure=item.closures).exists():
            raise AlreadyRated(_("You have already rated this."))
        try:
            evaluation = Evaluation.objects.create(**about(item), enterprise=item.enterprise, by=user,
                                                   closure=item.closures, level=level, indicators=scores,
                                                   comment=comment.strip(), staff=item.owner)
        except IntegrityError as exc:  # a concurrent second rating of the same closure
            raise AlreadyRated(_("You have already rated this.")) from exc
        step(item, "rated", actor=user, note=str(Rating(level).label))
        events.emit(DeskRated(**subject(item), item=kind_of(item), item_id=item.pk, level=level,
                              staff=item.owner.username if item.owner else "", closure=item.closures))
        record_event(actor=user, action="servicedesk.rated", obj=item, after={"level": level, "closure": item.closures})
        if evaluation.is_bad:
            _open_rectification(item, evaluation, user)
    return evaluation


def _open_rectification(item: Conversation | WorkOrder, evaluation: Evaluation, user: User) -> WorkOrder:
    title = _("整改：%(what)s") % {"what": item.title if isinstance(item, WorkOrder) else _("咨询 #%(n)s") % {"n": item.pk}}
    order = create_order(enterprise_user=user, kind=WorkOrder.Kind.RECTIFICATION, title=str(title)[:200],
                         body=evaluation.comment or str(Rating(evaluation.level).label), filed_by=user,
                         conversation=item if isinstance(item, Conversation) else item.conversation,
                         owner=item.owner, stage=Stage.VERIFY)
    order.rectifies = evaluation
    order.save(update_fields=["rectifies"])
    if order.owner is None:
        order.status = OrderStatus.OPEN
        order.save(update_fields=["status"])
    step(item, "rectification_opened", note=order.number)
    return order


def rectification_of(evaluation: Evaluation) -> WorkOrder | None:
    return evaluation.rectifications.order_by("created_at").first()


def can_rate(item: Conversation | WorkOrder) -> bool:
    """Closed, and its latest closure not yet rated."""
    closed = item.status == (ChatStatus.CLOSED if isinstance(item, Conversation) else OrderStatus.RESOLVED)
    return closed and item.closures > 0 and not Evaluation.objects.filter(**about(item), closure=item.closures).exists()
