"""Authoring, publishing, 免申即享 matching, claims, review, versions and re-matching on changed facts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qinqing.audit.models import AuditRecord
from qinqing.core import events
from qinqing.core.models import OutboxEvent
from qinqing.datahub.services import import_records
from qinqing.notifications.models import Notification
from qinqing.policies.errors import ClaimNotAllowed, NotEligible, PolicyInvalid, PolicyNotManaged
from qinqing.policies.models import BankAccount, Entitlement, FundPool, LedgerEntry, Payout, Push
from qinqing.policies.services import (
    claim_policy,
    create_policy,
    pause_policy,
    publish_policy,
    register_bank_account,
    review_claim,
    revise_policy,
    simulate_policy,
)
from qinqing.policies.services.payouts import process_due_payouts
from qinqing.policies.services.rematch import CONSUMER, match_published
from qinqing.policies.tests.support import enterprise, enterprise_user, officer, policy_data, published
from qinqing.policies.workflow import EntitlementStatus, PayoutStatus, PolicyStatus

pytestmark = pytest.mark.django_db


def test_publishing_an_automatic_policy_grants_and_pays_every_qualifying_enterprise():
    policy = published()
    ents = Entitlement.objects.filter(policy=policy)
    assert {e.enterprise_id: e.amount for e in ents} == {
        enterprise(0).pk: Decimal("10000.00"), enterprise(1).pk: Decimal("10000.00"),
        enterprise(2).pk: Decimal("2000.00"), enterprise(4).pk: Decimal("8000.00"),
        enterprise(7).pk: Decimal("5000.00")}
    assert process_due_payouts()["sent"] == 5
    assert set(Payout.objects.filter(entitlement__policy=policy).values_list("status", flat=True)) == {"paid"}
    pool = FundPool.objects.get(policy=policy)
    assert (pool.committed, pool.paid, pool.balance) == (Decimal(0), Decimal("35000.00"), Decimal("65000.00"))
    reasons = ents.get(enterprise=enterprise(0)).reasons
    assert {"fact": "annual.graduates_hired", "value": 12} .items() <= reasons[-1].items()
    assert reasons[-1]["source"] == "enterprise_annual"


def test_a_duplicate_publish_event_never_grants_or_pays_twice():
    policy = published()
    assert policy.current_version is not None
    match_published(policy_id=policy.pk, version_id=policy.current_version.pk)
    process_due_payouts()
    process_due_payouts()
    assert Entitlement.objects.filter(policy=policy).count() == 5
    assert Payout.objects.filter(entitlement__policy=policy).count() == 5
    assert LedgerEntry.objects.filter(payout__entitlement__policy=policy, kind="pay").count() == 5


def test_publishing_pushes_a_notification_to_each_qualifying_enterprise():
    policy = published()
    notes = Notification.objects.filter(kind="policy", link=f"/policies/{policy.code}/")
    assert notes.filter(recipient=enterprise_user(0)).exists()
    assert not notes.filter(recipient=enterprise_user(3)).exists()  # hired no graduate
    assert Push.objects.filter(policy=policy).count() == 5


def test_publish_simulate_entitlement_and_payout_emit_events_and_audit_records():
    before = OutboxEvent.objects.count()
    policy = published()
    simulate_policy(policy=policy, officer=officer())
    process_due_payouts()
    names = set(OutboxEvent.objects.order_by("pk")[before:].values_list("name", flat=True))
    assert {"policy.published", "policy.simulated", "entitlement.granted", "payout.status_changed"} <= names
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"policy.created", "policy.published", "policy.simulated", "entitlement.created", "payout.paid"} <= actions


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"eligibility": [{"key": "x", "label": "未知", "failure": "未知", "facts": ["annual.nope"],
                       "expr": {">": [{"var": "annual.nope"}, 1]}}]}, "eligibility", "annual.nope"),
    ({"eligibility": [{"key": "x", "label": "正则", "failure": "正则", "facts": ["registry.name"],
                       "expr": {"substr": [{"var": "registry.name"}, 1]}}]}, "eligibility", "substr"),
    ({"amount": {"expr": {"/": [{"var": "annual.rd_spend"}, 0]}, "cap": "100"}}, "amount", "零"),
    ({"amount": {"expr": {"/": [100, {"var": "annual.graduates_hired"}]}, "cap": "100"}}, "amount", "数据项"),
    ({"amount": {"expr": {"*": [{"var": "annual.rd_spend"}, "0.1"]}}}, "amount", "上限"),
    ({"amount": {"expr": {"pow": [2, 3]}, "cap": "10"}}, "amount", "pow"),
    ({"budget": "5000"}, "budget", "10000"),
    ({"document_number": "第12号文件"}, "document_number", "〔2026〕"),
])
def test_authoring_refuses_unsafe_rules_with_a_clear_message(overrides, field, words):
    with pytest.raises(PolicyInvalid) as refused:
        create_policy(officer=officer(), data=policy_data(**overrides))
    assert field in refused.value.errors
    assert words in " ".join(str(m) for m in refused.value.errors[field])


def test_an_officer_may_not_run_another_departments_policy():
    policy = published("rsj")
    with pytest.raises(PolicyNotManaged):
        pause_policy(policy=policy, officer=officer("kjj"))
    with pytest.raises(PolicyNotManaged):
        create_policy(officer=enterprise_user(0), data=policy_data())


def test_a_change_after_publishing_is_a_new_version_and_entitlements_keep_theirs():
    policy = published()
    first = policy.current_version
    revised = revise_policy(policy=policy, officer=officer(), data={
        "amount": {"expr": {"*": [{"var": "annual.graduates_hired"}, "2000"]}, "cap": "20000"},
        "amount_text": "每人2000元，最高2万元"})
    assert revised.current_version is not None and first is not None
    assert revised.current_version.number == 2
    assert set(Entitlement.objects.filter(policy=policy).values_list("version", flat=True)) == {first.pk}
    first.refresh_from_db()
    assert first.amount["cap"] == "10000"


def test_an_instant_claim_is_verified_and_paid_in_the_same_request_and_a_repeat_answers_it():
    policy = published(mode="instant")
    user = enterprise_user(3)  # hired no graduate: refused with the condition it lacks
    with pytest.raises(NotEligible) as refused:
        claim_policy(policy=policy, user=user)
    assert "hired" in refused.value.errors
    ent, created = claim_policy(policy=policy, user=enterprise_user(0))
    assert created and ent.status == EntitlementStatus.GRANTED
    assert ent.payout.status == PayoutStatus.PAID
    again, created_again = claim_policy(policy=policy, user=enterprise_user(0))
    assert (again.pk, created_again) == (ent.pk, False)
    assert Payout.objects.filter(entitlement__policy=policy).count() == 1


def test_an_automatic_policy_takes_no_claims_and_a_paused_one_neither():
    policy = published()
    with pytest.raises(ClaimNotAllowed):
        claim_policy(policy=policy, user=enterprise_user(3))
    already, created = claim_policy(policy=policy, user=enterprise_user(0))  # granted by matching: answered
    assert not created and already.status == EntitlementStatus.GRANTED
    instant = published(mode="instant", title="另一项即申即享")
    pause_policy(policy=instant, officer=officer())
    with pytest.raises(ClaimNotAllowed):
        claim_policy(policy=instant, user=enterprise_user(0))


def test_a_reviewed_claim_waits_for_the_officer_then_pays():
    policy = published(mode="reviewed")
    ent, _ = claim_policy(policy=policy, user=enterprise_user(0))
    assert ent.status == EntitlementStatus.UNDER_REVIEW and not Payout.objects.filter(entitlement=ent).exists()
    with pytest.raises(PolicyNotManaged):
        review_claim(entitlement=ent, officer=officer("kjj"), approve=True)
    review_claim(entitlement=ent, officer=officer(), approve=True, note="材料齐全")
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.GRANTED and ent.payout.status == PayoutStatus.PAID
    with pytest.raises(ClaimNotAllowed):
        review_claim(entitlement=ent, officer=officer(), approve=False)


def test_an_entitlement_without_an_account_waits_and_is_paid_once_the_account_is_given():
    BankAccount.objects.filter(enterprise=enterprise(7)).delete()
    policy = published()
    ent = Entitlement.objects.get(policy=policy, enterprise=enterprise(7))
    assert not Payout.objects.filter(entitlement=ent).exists()
    with pytest.raises(PolicyInvalid) as refused:
        register_bank_account(user=enterprise_user(7), bank_name="杭州银行", account_name="别人家的公司",
                              number="6222 0000 12")
    assert set(refused.value.errors) == {"account_name", "number"}
    account = register_bank_account(user=enterprise_user(7), bank_name="杭州银行",
                                    account_name=enterprise(7).name, number="６２２２ ０２１２ ０２００ ７５５４")
    assert account.number == "6222021202007554" and account.masked == "************7554"
    assert Payout.objects.filter(entitlement=ent).count() == 1


def test_changed_facts_make_an_enterprise_qualify_and_the_consumer_pays_it():
    policy = published()
    assert not Entitlement.objects.filter(policy=policy, enterprise=enterprise(3)).exists()
    import_records(source_code="enterprise_annual", actor="test", rows=[{
        "uscc": enterprise(3).uscc, "report_no": "NB2026-TEST-0003", "year": 2026, "graduates_hired": 4}])
    events.consume(CONSUMER)
    ent = Entitlement.objects.get(policy=policy, enterprise=enterprise(3))
    assert ent.amount == Decimal("4000.00")
    assert Notification.objects.filter(recipient=enterprise_user(3), kind="policy").exists()


def test_re_matching_reads_no_policy_or_region_again_per_policy():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qinqing.policies.services.claims import rematch_enterprise

    published()
    firm = enterprise(3)
    rematch_enterprise(enterprise=firm)  # the caches warm (fact names, compiled versions)
    with CaptureQueriesContext(connection) as seen:
        rematch_enterprise(enterprise=firm)
    tables = [q["sql"] for q in seen.captured_queries]
    # One query lists the published policies with their versions and regions; none per policy after it.
    assert sum('FROM "policies_policy"' in sql for sql in tables) == 1
    assert not any('FROM "regions_region"' in sql for sql in tables)


def test_simulation_counts_costs_splits_and_names_the_one_missing_condition():
    who = officer()
    policy = create_policy(officer=who, data=policy_data())
    result = simulate_policy(policy=policy, officer=who)
    assert (result.qualifying, result.total, result.budget) == (5, Decimal("35000.00"), Decimal("100000.00"))
    assert result.within_budget
    assert sum(c for _n, c, _t in result.by_region) == 5
    near = {m.uscc: m.failed[0].key for m in result.near_misses}
    assert near[enterprise(3).uscc] == "hired"
    assert policy.status == PolicyStatus.DRAFT and not Entitlement.objects.filter(policy=policy).exists()


def test_a_pool_smaller_than_the_demand_pays_only_what_it_covers():
    policy = published(budget="20000")
    pool = FundPool.objects.get(policy=policy)
    assert pool.committed + pool.paid <= pool.total
    assert sum(p.amount for p in Payout.objects.filter(entitlement__policy=policy)) <= Decimal("20000")


def test_publishing_twice_is_refused():
    policy = published()
    with pytest.raises(Exception) as refused:
        publish_policy(policy=policy, officer=officer())
    assert getattr(refused.value, "status_code", None) == 409
