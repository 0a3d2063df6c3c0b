"""The cockpit's periodic work: overdue cases become alerts (the read models follow the outbox consumer);
overdue visits are flagged."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qinqing.cockpit.services.alerts import raise_overdue_case_alerts
from qinqing.cockpit.services.visits import flag_overdue_visits
from qinqing.core.tasks import typed


@typed(db_periodic_task(crontab(minute="*/10")))
def sweep_overdue_cases() -> None:
    """Raise the case-overdue alerts of cases past their promised deadline."""
    raise_overdue_case_alerts()


@typed(db_periodic_task(crontab(minute="*/5")))
def sweep_overdue_visits() -> None:
    """Every five minutes: each open visit past its due time becomes overdue once (`VisitOverdue`)."""
    flag_overdue_visits()
