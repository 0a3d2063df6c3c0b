"""Reads of visit tasks: the viewer's list (mine or my node's), by status, keyset-paged."""

from __future__ import annotations

from typing import Literal

from django.utils import timezone

from qinqing.cockpit.models import Visit, VisitQuerySet
from qinqing.core.paging import Page, keyset_page

StatusFilter = Literal["open", "overdue", "closed", "all"]
WhoseFilter = Literal["mine", "node"]


def visit_list(user: object, *, whose: WhoseFilter = "node", status: StatusFilter = "open", cursor: str = "",
               limit: int = 50) -> Page[Visit]:
    """Visits in the viewer's scope, soonest due first: assigned to the viewer (`mine`) or all of the node."""
    rows: VisitQuerySet = Visit.objects.visible_to(user).select_related("region", "assignee", "work_order")
    if whose == "mine":
        rows = rows.filter(assignee_id=getattr(user, "pk", None))
    if status == "open":
        rows = rows.open()
    elif status == "overdue":
        rows = rows.filter(status=Visit.Status.OPEN, due_at__lt=timezone.now())
    elif status == "closed":
        rows = rows.filter(status=Visit.Status.CLOSED)
    page = keyset_page(rows.prefetch_related("records__recorded_by"), ordering=["due_at", "id"],
                       kinds=[type(timezone.now()), int], cursor=cursor, limit=limit)
    return page
