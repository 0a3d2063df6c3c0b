"""The synthetic case history (issue 10 §3): realistic, signed, scoped like real cases, removable."""

from __future__ import annotations

import collections
import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.cases.models import Case, CaseEvent, Licence
from qinqing.cases.signing import verify
from qinqing.cases.synthetic import HistoryPlan, clear_history, generate_history
from qinqing.cases.tests.support import client_for, enterprise, open_case, reviewer_of
from qinqing.cases.workflow import Status
from qinqing.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_history_spreads_cases_with_timelines_statuses_and_signed_licences():
    demo_case = open_case(0)
    counts = generate_history(HistoryPlan(cases=1500, enterprises=60, batch=400, years=2))
    assert counts["cases"] == 1500 and counts["enterprises"] == 60
    cases = Case.objects.filter(synthetic=True)
    assert cases.count() == 1500
    assert Enterprise.objects.filter(synthetic=True).count() == 60
    numbers = list(cases.values_list("number", flat=True))
    assert len(set(numbers)) == 1500 and all(re.fullmatch(r"QQ20\d{6}[0-9A-F]{8}", n) for n in numbers)

    mix = collections.Counter(cases.values_list("status", flat=True))
    assert mix[Status.APPROVED] > 0.6 * 1500, mix
    assert mix[Status.REJECTED] > 0 and mix[Status.WITHDRAWN] > 0
    now = timezone.now()
    for case in cases.only("submitted_at", "due_at", "statutory_due_at", "decided_at", "status", "number"):
        assert now - dt.timedelta(days=2 * 366) <= case.submitted_at < now
        assert case.due_at >= case.submitted_at and case.statutory_due_at >= case.submitted_at
        assert case.number[2:10] == timezone.localtime(case.submitted_at).strftime("%Y%m%d")
        if case.status in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
            assert case.decided_at is not None and case.submitted_at <= case.decided_at <= now
        else:
            assert case.decided_at is None
    # Weekday-heavy, office hours.
    weekdays = sum(1 for at in cases.values_list("submitted_at", flat=True) if timezone.localtime(at).weekday() < 5)
    assert weekdays > 0.85 * 1500

    # Every case's timeline starts with its submission and ends in its status.
    first = CaseEvent.objects.filter(case__synthetic=True, action="submitted").count()
    assert first == 1500
    sample = list(cases.order_by("id")[:200])
    for case in sample:
        timeline = list(CaseEvent.objects.filter(case=case).exclude(action="licence_issued").order_by("at", "id"))
        assert timeline[0].action == "submitted"
        assert timeline[-1].to_status == case.status or (
            case.status == Status.UNDER_REVIEW and timeline[-1].to_status in (Status.SUBMITTED, Status.UNDER_REVIEW))

    # Licences of approved cases, signed as the licence service signs them.
    licences = Licence.objects.filter(case__synthetic=True).select_related("case", "enterprise", "matter")
    assert counts["licences"] == licences.count() == counts["signed"] > 0
    for licence in licences[:50]:
        assert licence.case.status == Status.APPROVED
        assert licence.payload["number"] == licence.number and licence.payload["uscc"] == licence.enterprise.uscc
        assert licence.payload["case"] == licence.case.number and licence.payload["matter"] == licence.matter.code
        assert verify(licence.payload, licence.signature)
        assert CaseEvent.objects.filter(case=licence.case, action="licence_issued", note=licence.number).exists()

    # Clearing removes exactly the synthetic cases with their timelines and licences.
    cleared = clear_history()
    assert cleared["cases"] == 1500 and cleared["licences"] == counts["licences"]
    assert not Case.objects.filter(synthetic=True).exists()
    assert not CaseEvent.objects.filter(case__synthetic=True).exists()
    assert Case.objects.filter(pk=demo_case.pk).exists() and CaseEvent.objects.filter(case=demo_case).exists()


def test_synthetic_cases_are_scoped_like_real_ones():
    generate_history(HistoryPlan(cases=600, enterprises=30, batch=300))
    case = Case.objects.filter(synthetic=True).select_related("matter").order_by("id").first()
    assert case is not None and case.matter is not None
    reviewer = reviewer_of(case.matter)
    seen = client_for(reviewer).get("/api/v1/cases", {"q": case.enterprise.uscc, "limit": 200}).json()
    assert case.number in {c["number"] for c in seen}
    # A demo enterprise sees its own synthetic history, never another enterprise's.
    user = enterprise(0)
    numbers = {c["number"] for c in client_for(user).get("/api/v1/cases", {"limit": 200}).json()}
    assert numbers == set(Case.objects.filter(enterprise=user.enterprise).order_by("-submitted_at")
                          .values_list("number", flat=True)[:200])
    assert case.enterprise_id == user.enterprise_id or case.number not in numbers


def test_genhistory_command_adds_and_clears(capsys):
    call_command("genhistory", "--cases", "250", "--enterprises", "20", "--quiet")
    assert "250 cases" in capsys.readouterr().out
    assert Case.objects.filter(synthetic=True).count() == 250
    call_command("genhistory", "--cases", "100", "--enterprises", "20", "--quiet")
    assert Case.objects.filter(synthetic=True).count() == 350  # a second run appends, numbers stay unique
    call_command("genhistory", "--clear")
    assert not Case.objects.filter(synthetic=True).exists()


def test_history_writes_the_events_the_case_services_emit_and_can_leave_them_out():
    counts = generate_history(HistoryPlan(cases=300, enterprises=20, batch=120))
    cases = Case.objects.filter(synthetic=True)
    decided = cases.filter(status__in=(Status.APPROVED, Status.REJECTED))
    closed = cases.filter(status__in=(Status.APPROVED, Status.REJECTED, Status.WITHDRAWN))
    ids = list(cases.values_list("pk", flat=True))

    def of(name: str, **payload: object) -> set[int]:
        rows = OutboxEvent.objects.filter(name=name, payload__case_id__in=ids, **payload)
        return {int(p["case_id"]) for p in rows.values_list("payload", flat=True)}

    submitted = OutboxEvent.objects.filter(name="case.submitted", payload__case_id__in=ids)
    assert submitted.count() == 300 and of("case.submitted") == set(ids)
    assert of("case.decided") == set(decided.values_list("pk", flat=True))
    assert of("case.decided", payload__automatic=True) == set(
        decided.filter(decided_automatically=True).values_list("pk", flat=True)) != set()
    assert of("case.closed") == set(closed.values_list("pk", flat=True))
    assert counts["domain_events"] == 300 + decided.count() + closed.count()
    # Each event names the case's enterprise and its region, as the services' events do.
    one = submitted.order_by("seq").first()
    case = Case.objects.select_related("enterprise__region").get(pk=one.payload["case_id"])
    assert (one.enterprise, one.region) == (case.enterprise.uscc, case.enterprise.region.code)

    quiet = OutboxEvent.objects.count()
    assert generate_history(HistoryPlan(cases=50, enterprises=20, emit_events=False))["domain_events"] == 0
    assert OutboxEvent.objects.count() == quiet
