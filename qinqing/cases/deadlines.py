"""A case's deadlines on the core clock: its pauses (补正) read from the timeline, and recomputation."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qinqing.audit.services import record_event
from qinqing.cases.models import Case
from qinqing.cases.workflow import CLOCK_STATUSES, Status
from qinqing.catalog.models import Matter
from qinqing.core import clock

PAUSE_STARTS = "supplement_requested"
PAUSE_ENDS = "supplemented"
# Started cases whose stored deadlines came from the clock; waiting steps are planned again when they start.
RUNNING = (*CLOCK_STATUSES, Status.SUPPLEMENT_REQUESTED)


def case_pauses(case: Case) -> list[clock.Pause]:
    """Every supplement pause on the case's timeline, the last one open while it lasts."""
    pauses: list[clock.Pause] = []
    began: dt.datetime | None = None
    for action, at in case.events.filter(action__in=[PAUSE_STARTS, PAUSE_ENDS]).order_by("at", "id").values_list(
            "action", "at"):
        if action == PAUSE_STARTS and began is None:
            began = at
        elif action == PAUSE_ENDS and began is not None:
            pauses.append(clock.Pause(began, at))
            began = None
    if began is not None:
        pauses.append(clock.Pause(began))
    return pauses


REFERRED = "referred"  # the rules handed an automatic case to a person


def manual_limit(matter: Matter) -> clock.Duration:
    """The time a person has for a case the rules referred: `Matter.manual_limit`, else the statutory limit."""
    if matter.manual_limit is not None:
        return clock.Duration(matter.manual_limit, clock.Unit(matter.manual_unit))
    return clock.Duration(matter.statutory_limit, clock.Unit(matter.statutory_unit))


def computed_deadlines(case: Case, matter: Matter) -> tuple[clock.Deadline, clock.Deadline]:
    """(promised, statutory) from submission, limits and finished pauses; an open pause moves them on resume.

    A case the rules referred to a person runs at least to the manual limit counted from the referral.
    """
    finished = [p for p in case_pauses(case) if p.end is not None]
    promised = clock.deadline(case.submitted_at, clock.Duration(matter.promised_limit, clock.Unit(matter.promised_unit)), finished)
    statutory = clock.deadline(case.submitted_at, clock.Duration(matter.statutory_limit, clock.Unit(matter.statutory_unit)),
                               finished)
    referred_at = case.events.filter(action=REFERRED).order_by("at", "id").values_list("at", flat=True).first()
    if referred_at is not None:
        manual = clock.deadline(referred_at, manual_limit(matter), [p for p in finished if p.start >= referred_at])
        if manual.at > promised.at:
            promised = manual
        if promised.at > statutory.at:
            statutory = promised
    return promised, statutory


def recompute_provisional_deadlines(*, year: int) -> list[Case]:
    """Recompute running cases' deadlines that reach into `year`, after its notice was imported."""
    start = dt.datetime.combine(dt.date(year, 1, 1), dt.time(0), tzinfo=timezone.get_default_timezone())
    changed: list[Case] = []
    with transaction.atomic():
        cases = (Case.objects.select_for_update(of=("self",)).select_related("matter")
                 .filter(status__in=RUNNING, matter__isnull=False)
                 .filter(Q(due_at__gte=start) | Q(statutory_due_at__gte=start)).order_by("pk"))
        for case in cases:
            assert case.matter is not None
            promised, statutory = computed_deadlines(case, case.matter)
            if (promised.at, statutory.at) == (case.due_at, case.statutory_due_at):
                continue
            before = {"due_at": case.due_at, "statutory_due_at": case.statutory_due_at}
            case.due_at, case.statutory_due_at = promised.at, statutory.at
            case.save(update_fields=["due_at", "statutory_due_at"])
            record_event(actor=None, action="case.deadline_recomputed", obj=case, before=before,
                         after={"due_at": case.due_at, "statutory_due_at": case.statutory_due_at,
                                "holiday_year": year})
            changed.append(case)
    return changed
