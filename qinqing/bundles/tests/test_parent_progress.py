"""A 一件事 parent is not a matter: it answers with its progress, and the submission message says what happened."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from qinqing.bundles.tests.support import (
    NEW_ENTERPRISE,
    SOCIAL,
    merged_data,
    submit_bundle,
    submit_industrial,
)
from qinqing.bundles.tests.test_views import _as_post
from qinqing.cases.models import Case
from qinqing.cases.queries import parent_progress, progress_message
from qinqing.cases.tests.support import client_for, enterprise, new_key, session_client
from qinqing.cases.workflow import Status

pytestmark = pytest.mark.django_db


def test_a_parent_case_has_no_decision_but_its_progress():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    body = client_for(user).get(f"/api/v1/cases/{parent.pk}").json()
    assert body["decision"] is None
    progress = body["progress"]
    assert progress["total"] == 4 and progress["approved"] == 4 and progress["finished"] is True
    assert {s["status"] for s in progress["steps"]} == {"approved"}
    assert {s["step"] for s in progress["steps"]} == set(Case.objects.filter(parent=parent).values_list("step_key", flat=True))


def test_a_single_matter_case_keeps_its_decision_and_has_no_progress():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    step = parent.children.first()
    body = client_for(user).get(f"/api/v1/cases/{step.pk}").json()
    assert body["decision"]["outcome"] == "approved"
    assert body["progress"] is None


def test_a_parent_still_running_counts_its_waiting_steps():
    parent = submit_industrial()
    progress = parent_progress(parent)
    assert progress["total"] == 7
    assert progress["waiting"] + progress["approved"] + progress["open"] == 7
    assert progress["finished"] is False
    assert any(s["status"] in (Status.WAITING, Status.PREPARING) for s in progress["steps"])


def test_after_the_social_insurance_submission_the_message_says_every_step_is_already_approved():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user)
    response = session_client(user).post(f"/bundles/{SOCIAL}/apply/", {**_as_post(data), "idempotency_key": new_key()},
                                         HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "4" in text and "已全部" in text
    assert "自动启动" not in text


def test_the_message_for_a_partly_finished_bundle_counts_what_waits():
    parent = submit_industrial()
    message = progress_message(parent_progress(parent))
    assert "7" in message
