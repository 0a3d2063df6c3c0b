"""A visit task as a service-desk work order of its assignee (kind `visit`), resolved when the visit closes.

Only an enterprise with an account on the platform has work orders; a registry-only enterprise's visit
stays a cockpit task until it registers.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.cockpit.models import Visit
from qinqing.core import events
from qinqing.core.events.types import DeskClosed
from qinqing.servicedesk.models import WorkOrder
from qinqing.servicedesk.services import sla
from qinqing.servicedesk.services._common import snapshot, step, subject
from qinqing.servicedesk.services.orders import create_order
from qinqing.servicedesk.workflow import OPEN_ORDER, OrderStatus


def _enterprise_login(visit: Visit) -> User | None:
    if visit.enterprise_id is None:
        return None
    return User.objects.filter(enterprise_id=visit.enterprise_id, kind=User.Kind.ENTERPRISE).order_by("pk").first()


def open_work_order(visit: Visit) -> WorkOrder | None:
    """File the visit's work order, owned by its assignee, due when the visit is (inside the caller's transaction)."""
    login = _enterprise_login(visit)
    if login is None or visit.assignee is None or visit.work_order_id is not None:
        return None
    title = _("Visit %(name)s") % {"name": visit.enterprise_name}
    order = create_order(enterprise_user=login, kind=WorkOrder.Kind.VISIT, title=title[:200], body=visit.reason,
                         filed_by=visit.raised_by or visit.assignee, owner=visit.assignee)
    sla.set_due(order, visit.due_at)
    order.save(update_fields=["due_at", "warned_at"])
    visit.work_order = order
    visit.save(update_fields=["work_order"])
    return order


def resolve_work_order(visit: Visit, user: User) -> None:
    """Resolve the visit's open work order with the last record's topics (the enterprise may rate it then)."""
    if visit.work_order_id is None:
        return
    order = WorkOrder.objects.select_for_update().get(
        pk=visit.work_order_id)
    if order.status not in OPEN_ORDER:
        return
    record = visit.records.order_by("-pk").first()
    topics = "、".join(record.topic_labels()) if record is not None else ""
    before = snapshot(order)
    order.status, order.resolved_at = OrderStatus.RESOLVED, timezone.now()
    order.resolution = _("Visited: %(topics)s.") % {"topics": topics} + (f"\n{record.notes}" if record and record.notes
                                                                         else "")
    order.closures += 1
    sla.set_due(order, None)
    order.escalate_at = None
    order.save()
    step(order, "resolved", actor=user, note=order.resolution)
    events.emit(DeskClosed(**subject(order), item="work_order", item_id=order.pk,
                           staff=order.owner.username if order.owner else user.username))
    record_event(actor=user, action="servicedesk.workorder_resolved", obj=order, before=before,
                 after=snapshot(order))
