"""A step waiting for two others starts exactly once, however the two approvals interleave."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from qinqing.audit.models import AuditRecord
from qinqing.bundles import services
from qinqing.bundles.tests.support import (
    approve,
    child,
    diamond_bundle,
    reviewer_for,
    statuses,
    submit_bundle,
)
from qinqing.cases import services as case_services
from qinqing.cases.errors import TransitionRefused
from qinqing.cases.models import CaseEvent
from qinqing.cases.tests.support import enterprise
from qinqing.cases.workflow import Status

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
STARTING = ("started", "handed_to_agent")


def _starts(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, from_status=Status.WAITING))


def _assert_started_once(parent) -> None:
    joined = child(parent, "c")
    starts = _starts(joined)
    assert len(starts) == 1 and starts[0].action in STARTING, starts
    assert AuditRecord.objects.filter(action="case.started", object_id=str(joined.pk)).count() == 1
    assert joined.status != Status.WAITING


def _run_together(*work: Callable[[], object]) -> list[BaseException]:
    """Run each callable in its own thread and connection, released at the same moment; return what they raised."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # surfaced by the caller's assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db
def test_step_waiting_for_two_approvals_starts_once_when_they_come_one_after_the_other():
    parent = submit_bundle(diamond_bundle().code, enterprise(0))
    assert statuses(parent) == {"a": Status.SUBMITTED, "b": Status.SUBMITTED, "c": Status.WAITING}
    approve(child(parent, "a"))
    assert statuses(parent)["c"] == Status.WAITING, "c must wait for b as well"
    assert _starts(child(parent, "c")) == []
    approve(child(parent, "b"))
    _assert_started_once(parent)
    parent.refresh_from_db()
    assert parent.status == Status.IN_PROGRESS, "c is still open"
    if child(parent, "c").status != Status.APPROVED:
        approve(child(parent, "c"))
    parent.refresh_from_db()
    assert parent.status == Status.COMPLETED


@pytest.mark.django_db
def test_advancing_a_bundle_again_changes_nothing():
    parent = submit_bundle(diamond_bundle().code, enterprise(0))
    approve(child(parent, "a"))
    approve(child(parent, "b"))
    events, audit = CaseEvent.objects.count(), AuditRecord.objects.count()
    services.advance(parent.pk)
    services.advance(parent.pk)
    assert (CaseEvent.objects.count(), AuditRecord.objects.count()) == (events, audit)
    _assert_started_once(parent)


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL; SQLite serialises them")
def test_step_waiting_for_two_approvals_starts_once_when_they_come_at_the_same_time(
    demo_city_restored, transactional_db,
):
    parent = submit_bundle(diamond_bundle().code, enterprise(0))
    first, second = child(parent, "a"), child(parent, "b")
    assert first.matter.department_id != second.matter.department_id
    reviewers = reviewer_for(first), reviewer_for(second)
    errors = _run_together(
        lambda: case_services.approve_case(case=first, reviewer=reviewers[0], note="同时审批"),
        lambda: case_services.approve_case(case=second, reviewer=reviewers[1], note="同时审批"),
    )
    assert errors == []
    assert statuses(parent) == {"a": Status.APPROVED, "b": Status.APPROVED, "c": Status.SUBMITTED}
    _assert_started_once(parent)


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL; SQLite serialises them")
def test_withdrawing_the_bundle_while_a_step_is_approved_leaves_one_consistent_outcome(
    demo_city_restored, transactional_db,
):
    user = enterprise(0)
    parent = submit_bundle(diamond_bundle().code, user)
    first = child(parent, "a")
    reviewer = reviewer_for(first)
    errors = _run_together(
        lambda: case_services.approve_case(case=first, reviewer=reviewer, note="同时审批"),
        lambda: services.withdraw_bundle(parent=parent, user=user, note="同时撤回"),
    )
    assert [e for e in errors if not isinstance(e, TransitionRefused)] == [], "no deadlock, no other error"
    parent.refresh_from_db()
    assert parent.status == Status.WITHDRAWN
    now = statuses(parent)
    assert now["b"] == Status.WITHDRAWN
    assert now["c"] == Status.CANCELLED
    assert _starts(child(parent, "c"))[0].action == "cancelled"
    if errors:  # the withdrawal came first: the approval found the step withdrawn
        assert now["a"] == Status.WITHDRAWN
    else:
        assert now["a"] == Status.APPROVED
