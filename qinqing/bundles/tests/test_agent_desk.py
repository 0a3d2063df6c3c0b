"""The agent acts for the enterprise (issue 8 §6): the case page's 代办 names the agent; commitments are not pre-ticked."""

from __future__ import annotations

import html
import re

import pytest

from qinqing.bundles.tests.support import (
    MANUFACTURER,
    agent,
    child,
    decide_filing,
    submit_industrial,
    submit_step,
)
from qinqing.cases.models import Case
from qinqing.cases.tests.support import enterprise, session_client
from qinqing.cases.workflow import Status

pytestmark = pytest.mark.django_db


def _prepared_step() -> Case:
    parent = submit_industrial()
    decide_filing(parent)
    step = child(parent, "land_planning")
    assert step.status == Status.PREPARING
    return step


def test_the_case_page_shows_the_agent_under_acting_agent_not_the_enterprise():
    step = submit_step(case=_prepared_step(), user=agent(), data={})
    text = html.unescape(session_client(enterprise(MANUFACTURER)).get(f"/cases/{step.pk}/").content.decode())
    shown = re.search(r'<dd id="acting-agent">(.*?)</dd>', text)
    assert shown, "the case page names who acted for the enterprise"
    assert shown.group(1) == agent().label()
    assert step.enterprise.name not in shown.group(1)


def test_the_agents_commitment_box_is_not_pre_ticked():
    step = _prepared_step()
    assert step.data.get("commitment") is True, "the enterprise ticked its own commitment on the merged form"
    text = session_client(agent()).get(f"/agent/cases/{step.pk}/").content.decode()
    box = re.search(r'<input type="checkbox" id="f-commitment"[^>]*>', text)
    assert box, "the step asks for the commitment"
    assert "checked" not in box.group(0)


def test_the_agent_must_tick_the_commitment_on_the_page():
    step = _prepared_step()
    fields = {f.key: f for f in step.matter.fields.all()}
    posted = {k: ("true" if v is True else str(v)) for k, v in step.data.items()
              if k in fields and v is not False and k != "commitment"}
    response = session_client(agent()).post(f"/agent/cases/{step.pk}/", posted)
    assert response.status_code == 422
    assert Case.objects.get(pk=step.pk).status == Status.PREPARING
    ticked = session_client(agent()).post(f"/agent/cases/{step.pk}/", {**posted, "commitment": "true"})
    assert ticked.status_code == 302
