"""The transition table: exactly the documented moves are allowed, every other pair is refused."""

from __future__ import annotations

import itertools

import pytest

from qinqing.cases.workflow import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    QUEUE_STATUSES,
    TRANSITIONS,
    Status,
    can_transition,
)

S = Status
# The case lifecycle as the service design describes it, written out independently of the code.
ALLOWED = {
    (S.SUBMITTED, S.UNDER_REVIEW), (S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.SUPPLEMENT_REQUESTED), (S.SUBMITTED, S.WITHDRAWN),
    (S.UNDER_REVIEW, S.APPROVED), (S.UNDER_REVIEW, S.REJECTED), (S.UNDER_REVIEW, S.SUPPLEMENT_REQUESTED),
    (S.UNDER_REVIEW, S.WITHDRAWN),
    (S.SUPPLEMENT_REQUESTED, S.UNDER_REVIEW), (S.SUPPLEMENT_REQUESTED, S.WITHDRAWN),
    # A 一件事 child waits for earlier steps, may be prepared by an agent, never starts if one fails.
    (S.WAITING, S.SUBMITTED), (S.WAITING, S.PREPARING), (S.WAITING, S.CANCELLED),
    (S.PREPARING, S.SUBMITTED), (S.PREPARING, S.CANCELLED),
    # A 一件事 parent closes when its children have.
    (S.IN_PROGRESS, S.COMPLETED), (S.IN_PROGRESS, S.CLOSED), (S.IN_PROGRESS, S.WITHDRAWN),
}
PAIRS = list(itertools.product(Status.values, Status.values))


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_transition_outside_the_table_is_refused(current, target):
    assert not can_transition(current, target)
    assert target not in TRANSITIONS.get(current, set())


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_documented_transition_is_allowed(current, target):
    assert can_transition(current, target)


@pytest.mark.parametrize("status", Status.values)
def test_no_status_may_follow_itself(status):
    assert not can_transition(status, status)


@pytest.mark.parametrize("closed", CLOSED_STATUSES)
def test_closed_statuses_are_final(closed):
    assert TRANSITIONS[closed] == set()
    assert not any(can_transition(closed, target) for target in Status.values)


def test_unknown_statuses_are_refused():
    assert not can_transition("archived", Status.APPROVED)
    assert not can_transition(Status.SUBMITTED, "archived")
    assert not can_transition("", "")


def test_every_status_is_either_open_or_closed_and_the_queue_is_open():
    assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(Status.values)
    assert not set(OPEN_STATUSES) & set(CLOSED_STATUSES)
    assert set(QUEUE_STATUSES) <= set(OPEN_STATUSES)
    assert set(TRANSITIONS) == set(Status.values)
