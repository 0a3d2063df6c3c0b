"""The ledger and the bank: retries with back-off, timeouts, crashes, reversals, reconciliation; never twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from qinqing.policies.errors import WrongPayoutStatus
from qinqing.policies.gateway import GatewayTimeout
from qinqing.policies.models import FundPool, LedgerEntry, Payout
from qinqing.policies.queries import reconcile
from qinqing.policies.services import reverse_payout
from qinqing.policies.services.payouts import MAX_ATTEMPTS, process_due_payouts, send_payout
from qinqing.policies.tests.support import officer, published
from qinqing.policies.workflow import PayoutStatus

pytestmark = pytest.mark.django_db


def _one(policy):
    return Payout.objects.filter(entitlement__policy=policy).order_by("pk").first()


def test_a_timeout_after_the_bank_took_the_transfer_is_retried_with_the_same_reference_and_paid_once(sandbox_bank):
    policy = published()
    payout = _one(policy)
    sandbox_bank.behave("timeout", times=1)
    send_payout(payout_id=payout.pk)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING and payout.last_error.startswith("timeout")
    assert payout.next_attempt_at > timezone.now()
    send_payout(payout_id=payout.pk, force=True)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert [t.reference for t in sandbox_bank.statement()].count(payout.reference) == 1


def test_failures_back_off_and_the_last_one_releases_the_money(sandbox_bank):
    policy = published()
    payout = _one(policy)
    sandbox_bank.behave("fail")
    waits = []
    for _ in range(MAX_ATTEMPTS):
        send_payout(payout_id=payout.pk, force=True)
        payout.refresh_from_db()
        if payout.next_attempt_at:
            waits.append(payout.next_attempt_at - timezone.now())
    assert payout.status == PayoutStatus.FAILED and payout.attempts == MAX_ATTEMPTS
    assert waits == sorted(waits) and waits[0] < dt.timedelta(seconds=10) < waits[-1]
    assert LedgerEntry.objects.filter(payout=payout, kind="release").count() == 1
    pool = FundPool.objects.get(policy=policy)
    assert pool.committed == sum(p.amount for p in Payout.objects.filter(entitlement__policy=policy,
                                                                         status="pending"))


def test_a_crash_between_the_bank_and_the_commit_never_pays_twice(sandbox_bank, monkeypatch):
    policy = published()
    payout = _one(policy)
    from qinqing.policies.services import payouts as module

    def crash(payout: Payout, pool_id: int) -> None:
        raise RuntimeError("worker killed after the bank answered")

    monkeypatch.setattr(module, "_settle", crash)
    with pytest.raises(RuntimeError):
        send_payout(payout_id=payout.pk, force=True)
    monkeypatch.undo()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING  # the transaction rolled back; the bank kept the transfer
    process_due_payouts()
    process_due_payouts()
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert [t.reference for t in sandbox_bank.statement()].count(payout.reference) == 1
    assert LedgerEntry.objects.filter(payout=payout, kind="pay").count() == 1


def test_a_late_bank_is_confirmed_by_the_sweep(sandbox_bank):
    policy = published()
    sandbox_bank.behave("late", late_seconds=0.2)
    process_due_payouts()
    assert set(Payout.objects.filter(entitlement__policy=policy).values_list("status", flat=True)) == {"sent"}
    import time

    time.sleep(0.3)
    assert process_due_payouts()["paid"] == 5


def test_a_reversal_is_a_new_ledger_entry_and_a_payout_is_reversed_once(sandbox_bank):
    policy = published()
    process_due_payouts()
    payout = _one(policy)
    entries = list(LedgerEntry.objects.filter(payout=payout).values_list("pk", "amount"))
    reverse_payout(payout=payout, officer=officer(), reason="重复享受")
    assert list(LedgerEntry.objects.filter(payout=payout, kind__in=["commit", "pay"]).values_list("pk", "amount")) \
        == entries
    assert LedgerEntry.objects.get(payout=payout, kind="reversal").amount == payout.amount
    with pytest.raises(WrongPayoutStatus):
        reverse_payout(payout=payout, officer=officer(), reason="again")
    pool = FundPool.objects.get(policy=policy)
    assert pool.paid == Decimal("35000.00") - payout.amount


def test_reconciliation_reports_every_difference_between_ledger_and_statement(sandbox_bank, tmp_path):
    policy = published()
    process_due_payouts()
    ours = set(Payout.objects.filter(entitlement__policy=policy).values_list("reference", flat=True))
    others = set(Payout.objects.exclude(entitlement__policy=policy).values_list("reference", flat=True))

    def differences() -> set[tuple[str, str]]:
        # The demo's payouts went to the bank before this test emptied it: they are reported missing there.
        found = {(d.reference, d.kind) for d in reconcile(sandbox_bank.statement())}
        assert {ref for ref, kind in found if ref in others} <= others
        return {(ref, kind) for ref, kind in found if ref not in others}

    assert differences() == set() and len(ours) == 5
    payout = _one(policy)
    Payout.objects.filter(pk=payout.pk).update(amount=Decimal("1.00"))
    sandbox_bank.send(reference="QQP-STRAY", account="622200000000", account_name="x", amount=Decimal("5"))
    assert differences() == {(payout.reference, "amount"), ("QQP-STRAY", "unknown_to_ledger")}
    with pytest.raises(CommandError):
        call_command("reconcilepayouts")


def test_the_sandbox_answers_a_repeated_reference_without_a_second_transfer(sandbox_bank):
    first = sandbox_bank.send(reference="R1", account="622200000000", account_name="x", amount=Decimal("10"))
    sandbox_bank.behave("timeout")
    again = sandbox_bank.send(reference="R1", account="622200000000", account_name="x", amount=Decimal("10"))
    assert (first.reference, again.reference) == ("R1", "R1") and len(sandbox_bank.statement()) == 1
    with pytest.raises(GatewayTimeout):
        sandbox_bank.send(reference="R2", account="622200000000", account_name="x", amount=Decimal("10"))
    assert len(sandbox_bank.statement()) == 2
