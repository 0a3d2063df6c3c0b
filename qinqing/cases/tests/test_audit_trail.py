"""Every state change of a case writes exactly one audit record; the chain verifies afterwards."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qinqing.audit.services import verify_chain
from qinqing.cases import services
from qinqing.cases.errors import TransitionRefused
from qinqing.cases.models import Case
from qinqing.cases.tests.support import (
    PDF_BYTES,
    REVOKED_ENTERPRISE,
    audit_head,
    enterprise,
    matter_approved_for,
    new_audit_records,
    open_case,
    referred_matter,
    required_material,
    reviewer_of,
    submit,
)
from qinqing.cases.uploads import check_upload

pytestmark = pytest.mark.django_db


def _upload(name: str = "材料.pdf"):
    import io

    return check_upload(io.BytesIO(PDF_BYTES), name, len(PDF_BYTES))


def _one_record(head: int, action: str, case: Case, actor) -> dict:
    records = new_audit_records(head)
    assert [r.action for r in records] == [action]
    record = records[0]
    assert record.object_type == "cases.case"
    assert record.object_id == str(case.pk)
    assert record.actor_id == actor.pk
    assert record.actor_label == actor.username
    return {"before": record.before, "after": record.after, "record": record}


def test_automatic_approval_writes_one_record_with_the_rule_set_version():
    user, matter = enterprise(0), matter_approved_for(0)
    head = audit_head()
    case = submit(user, matter)
    written = _one_record(head, "case.submitted", case, user)
    assert written["after"]["status"] == "approved"
    assert written["after"]["verdict"] == "approve"
    assert written["record"].rule_set_version == case.rule_set_version.label


def test_referral_writes_one_record_with_the_verdict():
    user, matter = enterprise(REVOKED_ENTERPRISE), referred_matter()
    head = audit_head()
    case = submit(user, matter)
    written = _one_record(head, "case.submitted", case, user)
    assert written["after"]["status"] == "under_review"
    assert written["after"]["verdict"] == "refer"


@pytest.mark.parametrize(
    ("action", "call", "after_status"),
    [
        ("case.approved", lambda c, r: services.approve_case(case=c, reviewer=r, note="同意"), "approved"),
        ("case.rejected", lambda c, r: services.reject_case(case=c, reviewer=r, note="不符合"), "rejected"),
        ("case.supplement_requested", lambda c, r: services.request_supplement(case=c, reviewer=r, note="请补充"),
         "supplement_requested"),
    ],
)
def test_each_reviewer_decision_writes_one_record_with_before_and_after(action, call, after_status):
    case = open_case(0)
    before_status = case.status
    reviewer = reviewer_of(case.matter)
    head = audit_head()
    call(case, reviewer)
    written = _one_record(head, action, case, reviewer)
    assert written["before"]["status"] == before_status
    assert written["after"]["status"] == after_status


def test_supplement_upload_writes_one_record_with_the_resumed_clock():
    case = open_case(0)
    services.request_supplement(case=case, reviewer=reviewer_of(case.matter), note="请补充")
    user = enterprise(0)
    head = audit_head()
    services.add_materials(case=case, user=user, uploads=[(required_material(case.matter).code, _upload())])
    written = _one_record(head, "case.materials_added", case, user)
    assert written["before"]["status"] == "supplement_requested"
    assert written["before"]["paused_at"] is not None
    assert written["after"]["status"] == "under_review"
    assert written["after"]["paused_at"] is None
    assert len(written["after"]["materials"]) == 1


def test_withdrawal_writes_one_record():
    case = open_case(0)
    user = enterprise(0)
    head = audit_head()
    services.withdraw_case(case=case, user=user)
    written = _one_record(head, "case.withdrawn", case, user)
    assert written["before"]["status"] in {"submitted", "under_review"}
    assert written["after"]["status"] == "withdrawn"


def test_refused_changes_write_no_record():
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    services.reject_case(case=case, reviewer=reviewer, note="不符合")
    head = audit_head()
    for attempt in (
        lambda: services.approve_case(case=case, reviewer=reviewer),
        lambda: services.withdraw_case(case=case, user=enterprise(0)),
        lambda: services.reject_case(case=case, reviewer=reviewer, note=""),
        lambda: services.add_materials(case=case, user=enterprise(0), uploads=[("", _upload())]),
    ):
        with pytest.raises(Exception):
            attempt()
    assert new_audit_records(head) == []


def test_reviewer_of_another_department_is_refused_by_the_service_too():
    case = open_case(0)
    from qinqing.cases.tests.support import reviewer_elsewhere

    head = audit_head()
    with pytest.raises(TransitionRefused):
        services.approve_case(case=case, reviewer=reviewer_elsewhere(case.matter))
    assert new_audit_records(head) == []


def test_audit_chain_verifies_after_a_full_round_of_case_actions():
    matter = matter_approved_for(0)
    submit(enterprise(0), matter)
    submit(enterprise(REVOKED_ENTERPRISE), referred_matter())
    approved, rejected, supplemented, withdrawn = (open_case(i) for i in (0, 1, 2, 3))
    reviewer = reviewer_of(approved.matter)
    services.approve_case(case=approved, reviewer=reviewer)
    services.reject_case(case=rejected, reviewer=reviewer, note="不符合")
    services.request_supplement(case=supplemented, reviewer=reviewer, note="请补充")
    services.add_materials(case=supplemented, user=enterprise(2), uploads=[("", _upload())])
    services.withdraw_case(case=withdrawn, user=enterprise(3))
    services.revoke_licence(licence=approved.licence, actor=reviewer, reason="撤销")
    report = verify_chain()
    assert report.ok, report
    call_command("verifyaudit")


def test_verifyaudit_fails_when_a_case_record_is_tampered_with():
    from qinqing.audit.tests.support import as_table_owner

    head = audit_head()
    submit(enterprise(0), matter_approved_for(0))
    record = new_audit_records(head)[0]
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET actor_label = %s WHERE id = %s", ["someone-else", record.pk])
    with pytest.raises(CommandError):
        call_command("verifyaudit")
