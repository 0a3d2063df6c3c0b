"""A case that falls back from 秒办 to manual review gets the manual time limit from the referral (issue 8 §6)."""

from __future__ import annotations

import pytest

from qinqing.cases.tests.support import (
    REVOKED_ENTERPRISE,
    enterprise,
    referred_matter,
    session_client,
    submit,
)
from qinqing.cases.workflow import Status
from qinqing.core import clock

pytestmark = pytest.mark.django_db


def test_a_referred_case_gets_the_manual_limit_counted_from_the_referral():
    matter = referred_matter()
    assert matter.manual_limit, f"{matter.code} decides automatically but declares no manual time limit"
    case = submit(enterprise(REVOKED_ENTERPRISE), matter)
    assert case.status == Status.UNDER_REVIEW
    referred_at = case.events.get(action="referred").at
    expected = clock.add(referred_at, clock.Duration(matter.manual_limit, clock.Unit(matter.manual_unit))).at
    assert case.due_at >= expected
    assert case.statutory_due_at >= case.due_at
    assert not case.is_near_due(), "a fresh referral is not already due"
    page = session_client(enterprise(REVOKED_ENTERPRISE)).get(f"/cases/{case.pk}/").content.decode()
    assert "tag near_due" not in page and "tag overdue" not in page


def test_every_automatic_matter_declares_its_manual_limit():
    from qinqing.catalog.models import Matter

    missing = [m.code for m in Matter.objects.filter(automatic=True) if m.manual_limit is None]
    assert not missing, missing


def test_recomputing_deadlines_keeps_the_referral_limit():
    from qinqing.cases.deadlines import computed_deadlines

    matter = referred_matter()
    case = submit(enterprise(REVOKED_ENTERPRISE), matter)
    promised, statutory = computed_deadlines(case, matter)
    assert promised.at == case.due_at
    assert statutory.at >= promised.at
