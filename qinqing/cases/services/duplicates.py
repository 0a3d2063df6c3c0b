"""No duplicates: a matter declares how many applications (and valid licences) an enterprise may hold.

The check runs inside the submitting transaction after the enterprise's row is locked
(`lock_enterprise`), so of two simultaneous submissions one stores its case and the other, once
the lock is free, sees it and is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.cases.errors import DuplicateApplication
from qinqing.cases.models import Case, Licence
from qinqing.cases.workflow import OPEN_STATUSES, Status
from qinqing.catalog.models import DuplicatePeriod, DuplicatePolicy, Matter

# Cases that no longer count against "one per period / per project": refused, withdrawn, never started.
_NOT_COUNTED = (Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED)


def lock_enterprise(enterprise: Enterprise) -> None:
    """Serialise the enterprise's submissions until the end of the transaction (a row lock on PostgreSQL)."""
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).values_list("pk", flat=True).first()


def period_bounds(moment: dt.datetime, period: str) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar year, quarter or month containing `moment`, as [start, end)."""
    local = timezone.localtime(moment)
    if period == DuplicatePeriod.YEAR:
        first_month, months = 1, 12
    elif period == DuplicatePeriod.QUARTER:
        first_month, months = 3 * ((local.month - 1) // 3) + 1, 3
    else:
        first_month, months = local.month, 1
    start = local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(first_month - 1 + months, 12)
    end = start.replace(year=start.year + year, month=month + 1)
    return start, end


def existing_application(*, enterprise: Enterprise, matter: Matter, data: Mapping[str, Any] | None = None,
                         now: dt.datetime | None = None) -> Case | None:
    """The case that makes a new application of `matter` a duplicate, or None.

    `data` (the cleaned form) is needed for "one per project"; without it that policy is not checked.
    """
    now = now or timezone.now()
    cases = Case.objects.filter(enterprise=enterprise, matter=matter).select_related("parent")
    policy = matter.duplicate_policy
    found: Case | None = None
    if policy == DuplicatePolicy.ONE_OPEN:
        found = cases.filter(status__in=OPEN_STATUSES).order_by("submitted_at").first()
    elif policy == DuplicatePolicy.ONE_PER_PERIOD:
        start, end = period_bounds(now, matter.duplicate_period)
        found = (cases.exclude(status__in=_NOT_COUNTED).filter(submitted_at__gte=start, submitted_at__lt=end)
                 .order_by("submitted_at").first())
    elif policy == DuplicatePolicy.ONE_PER_PROJECT and data is not None:
        project = data.get(matter.duplicate_project_field)
        if project not in (None, ""):
            found = (cases.exclude(status__in=_NOT_COUNTED)
                     .filter(**{f"data__{matter.duplicate_project_field}": project})
                     .order_by("submitted_at").first())
    if found is None and matter.single_valid_licence:
        today = timezone.localdate(now)
        licence = (Licence.objects.filter(enterprise=enterprise, matter=matter, status=Licence.Status.VALID)
                   .exclude(valid_until__lt=today).select_related("case", "case__parent").order_by("issued_at")
                   .first())
        found = licence.case if licence is not None else None
    return found


def shown_case(case: Case) -> Case:
    """What to link to: a step of a 一件事 is shown as its whole 一件事."""
    return case.parent if case.parent is not None else case


def existing_summary(case: Case) -> dict[str, Any]:
    """{id, number, url} of the application a refusal points to."""
    shown = shown_case(case)
    url = f"/bundles/cases/{shown.pk}/" if shown.is_bundle else f"/cases/{shown.pk}/"
    return {"id": shown.pk, "number": shown.number, "url": url, "title": shown.display_title,
            "status": str(shown.status)}


def duplicate_refusal(matter: Matter, existing: Case) -> DuplicateApplication:
    """The refusal of a second application, naming the existing one (its 一件事 if it is a step)."""
    shown = shown_case(existing)
    params = {"matter": matter.display_name, "number": shown.number, "title": shown.display_title}
    policy = matter.duplicate_policy
    if policy == DuplicatePolicy.ONE_PER_PERIOD:
        period = {DuplicatePeriod.YEAR: _("this year"), DuplicatePeriod.QUARTER: _("this quarter"),
                  DuplicatePeriod.MONTH: _("this month")}.get(DuplicatePeriod(matter.duplicate_period), "")
        message = _("%(matter)s may be applied for once %(period)s: you already applied (%(title)s, "
                    "case %(number)s).") % {**params, "period": period}
    elif existing.status in OPEN_STATUSES:
        message = _("You already have an application of %(matter)s in progress (%(title)s, case %(number)s): "
                    "follow it instead of applying again.") % params
    else:
        message = _("You already hold a valid %(matter)s (%(title)s, case %(number)s): a second one cannot "
                    "be issued.") % params
    return DuplicateApplication(message, existing=existing_summary(existing))


def refuse_duplicate(*, enterprise: Enterprise, matter: Matter, data: Mapping[str, Any] | None = None) -> None:
    """Raise DuplicateApplication when the matter's policy forbids another application now."""
    if not matter.limits_duplicates:
        return
    existing = existing_application(enterprise=enterprise, matter=matter, data=data)
    if existing is not None:
        raise duplicate_refusal(matter, existing)
