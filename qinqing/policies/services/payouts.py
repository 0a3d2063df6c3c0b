"""The ledger: entitlements granted once, fund pools debited by conditional updates, payouts sent once.

The pool is never overdrawn, also under concurrent runs: a commitment is one conditional UPDATE
(`total >= committed + paid + amount`) that PostgreSQL re-checks after taking the row lock, and a
database constraint backs it. A payout's reference is the bank's idempotency key: a retry after a
crash, a timeout or a duplicate event asks the bank with the same reference and never pays twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.policies.errors import PolicyInvalid, WrongPayoutStatus
from qinqing.policies.gateway import SETTLED, GatewayError, GatewayTimeout, gateway
from qinqing.policies.models import BankAccount, Entitlement, FundPool, LedgerEntry, Payout, Policy
from qinqing.policies.workflow import PAYOUT_TRANSITIONS, EntitlementStatus, PayoutStatus, can_transition

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (5, 30, 120, 600, 1800)  # after the 1st, 2nd … failed attempt


def _event(payout: Payout, policy: Policy) -> events.PayoutStatusChanged:
    ent = payout.entitlement
    return events.PayoutStatusChanged(
        enterprise=ent.enterprise.uscc, region=ent.enterprise.region.code if ent.enterprise.region else "",
        payout_id=payout.pk, policy_id=policy.pk, reference=payout.reference, amount=str(payout.amount),
        status=payout.status)


def _move(payout: Payout, target: str) -> None:
    if not can_transition(PAYOUT_TRANSITIONS, payout.status, target):
        raise WrongPayoutStatus(f"{payout.status} → {target}")
    payout.status = target


def reserve(pool: FundPool, amount: Decimal) -> bool:
    """Commit `amount` of the pool if the balance allows it; False, and nothing changed, if not."""
    return bool(FundPool.objects.filter(pk=pool.pk, total__gte=F("committed") + F("paid") + amount)
                .update(committed=F("committed") + amount))


def commit_payout(*, entitlement: Entitlement, actor: Any = None) -> Payout | None:
    """Create the pending payout of a granted entitlement: reserve the money, write the ledger entry.

    Answers None, changing nothing, when the enterprise has no account on file (the payout waits for
    one) or the pool cannot cover it. An entitlement has at most one payout (a unique column).
    """
    existing = Payout.objects.filter(entitlement=entitlement).first()
    if existing is not None:
        return existing
    account = BankAccount.objects.filter(enterprise_id=entitlement.enterprise_id).first()
    if account is None:
        return None
    pool = FundPool.objects.get(policy_id=entitlement.policy_id)
    if not reserve(pool, entitlement.amount):
        return None
    payout = Payout.objects.create(
        entitlement=entitlement, reference=f"QQP{entitlement.pk:012d}", amount=entitlement.amount,
        bank_name=account.bank_name, account_name=account.account_name, account_number=account.number,
        next_attempt_at=timezone.now())
    LedgerEntry.objects.create(pool=pool, payout=payout, kind=LedgerEntry.Kind.COMMIT, amount=payout.amount,
                               actor=actor if isinstance(actor, User) else None)
    record_event(actor=actor or "system", action="payout.created", obj=payout, after=payout.as_dict())
    events.emit(_event(payout, entitlement.policy))
    transaction.on_commit(lambda: _enqueue_send(payout.pk))
    return payout


def _enqueue_send(payout_id: int) -> None:
    from qinqing.policies.tasks import send_payout_task

    send_payout_task(payout_id)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before the next attempt after `attempts` failed ones."""
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _settle(payout: Payout, pool_id: int) -> None:
    _move(payout, PayoutStatus.PAID)
    payout.paid_at = timezone.now()
    FundPool.objects.filter(pk=pool_id).update(committed=F("committed") - payout.amount,
                                               paid=F("paid") + payout.amount)
    LedgerEntry.objects.create(pool_id=pool_id, payout=payout, kind=LedgerEntry.Kind.PAY, amount=payout.amount)


def _fail(payout: Payout, pool_id: int, reason: str) -> None:
    _move(payout, PayoutStatus.FAILED)
    payout.last_error = reason[:300]
    payout.next_attempt_at = None
    FundPool.objects.filter(pk=pool_id).update(committed=F("committed") - payout.amount)
    LedgerEntry.objects.create(pool_id=pool_id, payout=payout, kind=LedgerEntry.Kind.RELEASE, amount=payout.amount,
                               note=reason[:300])


def _locked(payout_id: int) -> tuple[Payout, Policy, int]:
    payout = (Payout.objects.select_for_update(of=("self",))
              .select_related("entitlement__policy", "entitlement__enterprise__region").get(pk=payout_id))
    policy = payout.entitlement.policy
    pool_id = FundPool.objects.values_list("pk", flat=True).get(policy_id=policy.pk)
    return payout, policy, pool_id


def send_payout(*, payout_id: int, force: bool = False) -> Payout:
    """Send a pending payout to the bank (row locked while asking): sent, paid, retried later or failed."""
    with events.atomic():
        payout, policy, pool_id = _locked(payout_id)
        if payout.status != PayoutStatus.PENDING:
            return payout
        if not force and payout.next_attempt_at is not None and payout.next_attempt_at > timezone.now():
            return payout
        before = payout.as_dict()
        payout.attempts += 1
        try:
            transfer = gateway().send(reference=payout.reference, account=payout.account_number,
                                      account_name=payout.account_name, amount=payout.amount)
        except GatewayError as exc:
            if exc.permanent or payout.attempts >= MAX_ATTEMPTS:
                _fail(payout, pool_id, str(exc))
            else:
                # A timeout may have moved the money: the next attempt asks with the same reference.
                payout.last_error = ("timeout: " if isinstance(exc, GatewayTimeout) else "") + str(exc)[:280]
                payout.next_attempt_at = timezone.now() + backoff(payout.attempts)
        else:
            _move(payout, PayoutStatus.SENT)
            payout.sent_at = timezone.now()
            payout.last_error = ""
            payout.next_attempt_at = None
            if transfer.status == SETTLED:
                _settle(payout, pool_id)
        payout.save()
        if payout.status != before["status"]:
            record_event(actor="system", action=f"payout.{payout.status}", obj=payout, before=before,
                         after=payout.as_dict())
            events.emit(_event(payout, policy))
    return payout


def confirm_payout(*, payout_id: int) -> Payout:
    """Ask the bank about a sent payout; paid once it settled."""
    with events.atomic():
        payout, policy, pool_id = _locked(payout_id)
        if payout.status != PayoutStatus.SENT or gateway().status(payout.reference) != SETTLED:
            return payout
        before = payout.as_dict()
        _settle(payout, pool_id)
        payout.save()
        record_event(actor="system", action="payout.paid", obj=payout, before=before, after=payout.as_dict())
        events.emit(_event(payout, policy))
    return payout


def process_due_payouts(*, limit: int = 1000) -> dict[str, int]:
    """Send every pending payout that is due and confirm every sent one (the periodic sweep and restarts)."""
    now = timezone.now()
    pending = list(Payout.objects.filter(status=PayoutStatus.PENDING, next_attempt_at__lte=now)
                   .order_by("pk").values_list("pk", flat=True)[:limit])
    sent = list(Payout.objects.filter(status=PayoutStatus.SENT).order_by("pk").values_list("pk", flat=True)[:limit])
    out = {"sent": 0, "paid": 0}
    for pk in pending:
        if send_payout(payout_id=pk).status in (PayoutStatus.SENT, PayoutStatus.PAID):
            out["sent"] += 1
    for pk in sent:
        if confirm_payout(payout_id=pk).status == PayoutStatus.PAID:
            out["paid"] += 1
    return out


def reverse_payout(*, payout: Payout, officer: User, reason: str) -> Payout:
    """Reverse a paid payout with a new ledger entry (the money returns to the pool); never edit the old ones.

    Only an officer managing the policy may, with a reason (shown to the enterprise on its payouts page).
    """
    from qinqing.policies.services.authoring import _may_manage

    reason = (reason or "").strip()
    if len(reason) < 2:
        raise PolicyInvalid(_("Give the reason for the reversal."), errors={"reason": [_("Give the reason for the reversal.")]})
    with events.atomic():
        payout, policy, pool_id = _locked(payout.pk)
        _may_manage(officer, policy)
        before = payout.as_dict()
        _move(payout, PayoutStatus.REVERSED)
        FundPool.objects.filter(pk=pool_id).update(paid=F("paid") - payout.amount)
        LedgerEntry.objects.create(pool_id=pool_id, payout=payout, kind=LedgerEntry.Kind.REVERSAL,
                                   amount=payout.amount, note=reason[:300], actor=officer)
        payout.save(update_fields=["status"])
        record_event(actor=officer, action="payout.reversed", obj=payout, before=before,
                     after={**payout.as_dict(), "reason": reason})
        ent = payout.entitlement
        events.emit(events.PayoutReversed(
            enterprise=ent.enterprise.uscc, region=ent.enterprise.region.code if ent.enterprise.region else "",
            payout_id=payout.pk, policy_id=policy.pk, reference=payout.reference, amount=str(payout.amount),
            reason=reason))
    return payout


def pay_waiting_entitlements(*, enterprise: Enterprise, actor: Any = None) -> int:
    """Create the payouts of granted entitlements that waited for a bank account; how many were created."""
    count = 0
    waiting = Entitlement.objects.filter(enterprise=enterprise, status=EntitlementStatus.GRANTED,
                                         payout__isnull=True).select_related("policy")
    for entitlement in waiting:
        if commit_payout(entitlement=entitlement, actor=actor) is not None:
            count += 1
    return count
