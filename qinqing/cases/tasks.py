"""Background work of cases: checking and enrolling an uploaded employee roster."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from qinqing.cases.services.enrolment import process_roster
from qinqing.core.tasks import typed


@typed(db_task())
def process_roster_task(roster_id: int) -> None:
    """Check every row of an uploaded roster and enrol its employees (progress stored on the roster)."""
    process_roster(roster_id=roster_id)
