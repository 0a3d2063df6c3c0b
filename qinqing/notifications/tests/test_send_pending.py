"""SMS/e-mail copies wait as pending rows in the platform's database; one sender run sends all of them."""

from __future__ import annotations

import pytest

from qinqing.cases.tests.support import enterprise
from qinqing.core import events
from qinqing.notifications import tasks
from qinqing.notifications.backends import LogBackend
from qinqing.notifications.models import Delivery, Notification
from qinqing.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_pending_copies_of_several_notifications_are_sent_by_one_run(monkeypatch):
    user = enterprise(0)
    with events.atomic():  # on_commit never runs inside the test's transaction: the rows stay pending
        notes = [notify(recipient=user, kind=Notification.Kind.CASE_RECEIVED, title=f"第{i}件") for i in range(3)]
    pending = Delivery.objects.filter(notification__in=notes)
    assert pending.count() >= 3 and set(pending.values_list("status", flat=True)) == {Delivery.Status.PENDING}
    LogBackend.sent.clear()
    tasks.send_pending.call_local()
    assert set(pending.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert sorted(title for _address, title, _body in LogBackend.sent) == sorted(n.title for n in notes) * (
        pending.count() // 3)
    tasks.send_pending.call_local()  # nothing left: nothing sent twice
    assert len(LogBackend.sent) == pending.count()


def test_a_burst_of_commits_schedules_the_sender_once_per_window(monkeypatch):
    scheduled = []
    monkeypatch.setattr(tasks.HUEY, "immediate", False)
    monkeypatch.setattr(tasks, "_scheduled_until", 0.0)
    monkeypatch.setattr(tasks.send_pending, "schedule", lambda delay: scheduled.append(delay), raising=False)
    tasks.HUEY.get(tasks._PENDING)
    for note_id in range(20):
        tasks.wake_sender(note_id)
    assert scheduled == [tasks.DELAY]
    tasks.HUEY.get(tasks._PENDING)
