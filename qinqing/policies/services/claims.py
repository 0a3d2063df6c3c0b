"""Entitlements: granted by matching (免申即享), claimed with one click (即申即享) or after review (审核兑付)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.errors import Forbidden
from qinqing.core.idempotency import once
from qinqing.datahub.queries import all_fact_names, facts_for
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.policies import facttable
from qinqing.policies.errors import ClaimNotAllowed, FundExhausted, NoBankAccount, NotEligible, PolicyInvalid
from qinqing.policies.matching import (
    Compiled,
    Match,
    batch_exact,
    compile_version,
    evaluate_enterprise,
    qualifies_on_row,
)
from qinqing.policies.models import BankAccount, Entitlement, Payout, Policy, PolicyVersion, Push
from qinqing.policies.services.authoring import _may_manage
from qinqing.policies.services.payouts import commit_payout, pay_waiting_entitlements, send_payout
from qinqing.policies.workflow import (
    ENTITLEMENT_TRANSITIONS,
    EntitlementStatus,
    Mode,
    PolicyStatus,
    can_transition,
)

ACCOUNT_NUMBER = re.compile(r"^\d{12,30}$")


def current_period(version: PolicyVersion) -> str:
    """The period an entitlement is for: the calendar year, or "once" for a one-off award."""
    return "once" if version.period == "once" else str(timezone.localdate().year)


def _region(enterprise: Enterprise) -> str:
    return enterprise.region.code if enterprise.region is not None else ""


def grant(*, policy: Policy, compiled: Compiled, match: Match, enterprise: Enterprise, period: str,
          status: str = EntitlementStatus.GRANTED, claimed: bool = False, actor: Any = None) -> tuple[Entitlement, bool]:
    """Create the entitlement of (policy, enterprise, period) once; a repeat answers the first.

    A granted entitlement commits its payout when the pool can cover it; the caller decides what a
    pool that cannot means (matching stops; a claim is refused).
    """
    version = compiled.version
    assert match.amount is not None
    amount = match.amount

    def create() -> Entitlement:
        return Entitlement.objects.create(
            key=f"{policy.pk}:{version.pk}:{enterprise.pk}:{period}", policy=policy, version=version,
            enterprise=enterprise, period=period, amount=amount, status=status, claimed=claimed,
            reasons=list(match.reasons), decided_at=timezone.now() if status == EntitlementStatus.GRANTED else None)

    # A concurrent run that inserted the same (policy, enterprise, period) first wins; this one replays it.
    entitlement, created = once(
        lookup=lambda: Entitlement.objects.filter(policy=policy, enterprise=enterprise, period=period).first(),
        create=create, replay=lambda row: row)
    if not created:
        return entitlement, False
    record_event(actor=actor or "system", action="entitlement.created", obj=entitlement,
                 after={"key": entitlement.key, "amount": str(entitlement.amount), "status": status},
                 rule_set_version=f"{policy.code}@v{version.number}")
    if status == EntitlementStatus.GRANTED:
        events.emit(events.EntitlementGranted(
            enterprise=enterprise.uscc, region=_region(enterprise), entitlement_id=entitlement.pk,
            policy_id=policy.pk, version_id=version.pk, period=period, amount=str(entitlement.amount),
            mode=policy.mode))
    return entitlement, True


def _enterprise_of(user: User) -> Enterprise:
    if not user.is_enterprise or user.enterprise is None:
        raise Forbidden(_("Only an enterprise can claim a policy."))
    return user.enterprise


def claim_policy(*, policy: Policy, user: User, period: str | None = None) -> tuple[Entitlement, bool]:
    """Claim a policy: verified against shared data now; 即申即享 is sent to the bank in the same request.

    A repeat claim for the same policy and period answers the existing claim, never a second payout.
    """
    enterprise = _enterprise_of(user)
    with events.atomic():
        Enterprise.objects.select_for_update().get(pk=enterprise.pk)  # one claim at a time per enterprise
        policy = Policy.objects.select_related("current_version", "region").get(pk=policy.pk)
        version = policy.current_version
        assert version is not None
        period = period or current_period(version)
        existing = Entitlement.objects.filter(policy=policy, enterprise=enterprise, period=period).first()
        if existing is not None:
            return existing, False
        if policy.status != PolicyStatus.PUBLISHED or policy.mode == Mode.AUTOMATIC:
            raise ClaimNotAllowed(_("This policy is not open for claims: 免申即享 pays without application, "
                                    "and a paused or closed policy takes none."))
        today = timezone.localdate()
        if not policy.valid_from <= today <= policy.valid_until:
            raise ClaimNotAllowed(_("This policy is not in force today."))
        if period not in ("once", str(today.year)):
            raise PolicyInvalid(_("Claims are for the current period only."), errors={"period": [period]})
        compiled = compile_version(version)
        match = evaluate_enterprise(compiled, enterprise)
        if not match.eligible:
            raise NotEligible(_("Your enterprise does not meet every condition of this policy."),
                              errors={c.key: [c.message] for c in match.failed})
        instant = policy.mode == Mode.INSTANT
        if instant and not BankAccount.objects.filter(enterprise=enterprise).exists():
            raise NoBankAccount(_("Add a receiving bank account first (企业信息 → 收款账户)."))
        entitlement, created = grant(
            policy=policy, compiled=compiled, match=match, enterprise=enterprise, period=period, claimed=True,
            status=EntitlementStatus.GRANTED if instant else EntitlementStatus.UNDER_REVIEW, actor=user)
        payout = None
        if instant and created:
            payout = commit_payout(entitlement=entitlement, actor=user)
            if payout is None:
                raise FundExhausted(_("The policy's fund is used up."))
        record_event(actor=user, action="policy.claimed", obj=entitlement, after={"policy": policy.code})
    if payout is not None:
        send_payout(payout_id=payout.pk, force=True)  # verified and sent to the bank in the same request
        entitlement.refresh_from_db()
    return entitlement, created


def review_claim(*, entitlement: Entitlement, officer: User, approve: bool, note: str = "") -> Entitlement:
    """Grant or reject a 审核兑付 claim; a granted one is paid like any other."""
    _may_manage(officer, entitlement.policy)
    payout = None
    with events.atomic():
        entitlement = Entitlement.objects.select_for_update(of=("self",)).select_related("policy", "enterprise__region").get(
            pk=entitlement.pk)
        target = EntitlementStatus.GRANTED if approve else EntitlementStatus.REJECTED
        if not can_transition(ENTITLEMENT_TRANSITIONS, entitlement.status, target):
            raise ClaimNotAllowed(_("This claim was already decided."))
        entitlement.status, entitlement.note, entitlement.decided_at = target, note[:2000], timezone.now()
        entitlement.save(update_fields=["status", "note", "decided_at"])
        record_event(actor=officer, action=f"entitlement.{target}", obj=entitlement, after={"note": note})
        if approve:
            events.emit(events.EntitlementGranted(
                enterprise=entitlement.enterprise.uscc, region=_region(entitlement.enterprise),
                entitlement_id=entitlement.pk, policy_id=entitlement.policy_id, version_id=entitlement.version_id,
                period=entitlement.period, amount=str(entitlement.amount), mode=entitlement.policy.mode))
            payout = commit_payout(entitlement=entitlement, actor=officer)
        _tell(entitlement.enterprise, Notification.Kind.PAYOUT,
              (_("Claim granted: %(title)s") if approve else _("Claim rejected: %(title)s"))
              % {"title": entitlement.policy.title}, note, "/policies/payouts/")
    if payout is not None:
        send_payout(payout_id=payout.pk, force=True)
    return entitlement


def _tell(enterprise: Enterprise, kind: str, title: str, body: str, link: str) -> None:
    for user in User.objects.filter(enterprise=enterprise, kind=User.Kind.ENTERPRISE, is_active=True):
        notify(recipient=user, kind=kind, title=title[:200], body=body, link=link)


def push(*, policy: Policy, compiled: Compiled, match: Match, enterprise: Enterprise) -> bool:
    """Tell an enterprise once that it qualifies for a policy (in-app, and SMS through the inbox's copies)."""
    if Push.objects.filter(policy=policy, enterprise=enterprise).exists():
        return False
    assert match.amount is not None
    Push.objects.create(policy=policy, version=compiled.version, enterprise=enterprise, amount=match.amount)
    if policy.mode == Mode.AUTOMATIC:
        body = _("免申即享: %(amount)s yuan will be paid to your account on file without any application.")
    else:
        body = _("You qualify for %(amount)s yuan: claim it on the policy page.")
    _tell(enterprise, Notification.Kind.POLICY, _("A policy for you: %(title)s") % {"title": policy.title},
          body % {"amount": f"{match.amount:,.2f}"}, f"/policies/{policy.code}/")
    return True


def apply_match(*, policy: Policy, compiled: Compiled, match: Match, enterprise: Enterprise) -> Payout | None:
    """React to a qualifying match: push it, and for 免申即享 grant and commit the payout."""
    if not match.eligible:
        return None
    push(policy=policy, compiled=compiled, match=match, enterprise=enterprise)
    if policy.mode != Mode.AUTOMATIC:
        return None
    period = current_period(compiled.version)
    entitlement, _created = grant(policy=policy, compiled=compiled, match=match, enterprise=enterprise, period=period)
    if entitlement.status != EntitlementStatus.GRANTED:
        return None
    return commit_payout(entitlement=entitlement)


def validate_account_number(raw: str) -> str:
    """A bank account number: 12–30 digits once spaces and dashes are dropped (banks differ in check digits)."""
    number = re.sub(r"[\s\-]", "", raw or "").translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
    if not ACCOUNT_NUMBER.match(number):
        raise PolicyInvalid(_("Enter the account number: 12 to 30 digits."),
                            errors={"number": [_("Enter the account number: 12 to 30 digits.")]})
    return number


def register_bank_account(*, user: User, bank_name: str, account_name: str, number: str) -> BankAccount:
    """Keep (or replace) the enterprise's receiving account; payouts that waited for one are created."""
    enterprise = _enterprise_of(user)
    errors: dict[str, list[str]] = {}
    bank_name, account_name = bank_name.strip(), account_name.strip()
    if not bank_name or len(bank_name) > 100:
        errors["bank_name"] = [_("Enter the bank and branch.")]
    if account_name != enterprise.name:
        errors["account_name"] = [_("The account must be in the enterprise's own name (%(name)s).")
                                  % {"name": enterprise.name}]
    try:
        number = validate_account_number(number)
    except PolicyInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise PolicyInvalid(_("The account cannot be saved: please correct the marked fields."), errors=errors)
    with events.atomic():
        account, _created = BankAccount.objects.update_or_create(
            enterprise=enterprise, defaults={"bank_name": bank_name, "account_name": account_name, "number": number,
                                             "confirmed_at": timezone.now()})
        record_event(actor=user, action="bank_account.saved", obj=account,
                     after={"bank": bank_name, "number": account.masked})
        pay_waiting_entitlements(enterprise=enterprise, actor=user)
    return account


def rematch_enterprise(*, enterprise: Enterprise, policies: Sequence[Policy] | None = None) -> int:
    """Match one enterprise against every published policy of its region; how many payouts were committed."""
    committed = 0
    region_path = enterprise.region.path if enterprise.region is not None else ""
    today = timezone.localdate()
    chosen = policies if policies is not None else list(
        Policy.objects.filter(status=PolicyStatus.PUBLISHED, valid_from__lte=today, valid_until__gte=today)
        .select_related("current_version", "region"))
    declared = all_fact_names()
    mine = [p for p in chosen if region_path.startswith(p.region.path) and p.current_version is not None]
    # The enterprise's row of the kept snapshot (one primary-key read): the batch's answer decides who
    # qualifies; only a policy that has something to write (no push yet, or a 免申即享 entitlement to
    # grant) is decided again per record, with the facts' sources for the reasons.
    row = facttable.row_of(enterprise.uscc) if mine and batch_exact() else None
    if row is not None and row["_in_registry"] == 1:
        seen: dict[str, bool] = {}  # a condition shared by several policies is run once
        compiled_of = {p.pk: compile_version(p.current_version, declared, policy=p) for p in mine}  # type: ignore[arg-type]
        qualifying = [p for p in mine if qualifies_on_row(compiled_of[p.pk], row, today, seen)]
        pushed = set(Push.objects.filter(enterprise=enterprise, policy__in=qualifying).values_list("policy_id", flat=True))
        granted = set(Entitlement.objects.filter(enterprise=enterprise, policy__in=qualifying).values_list(
            "policy_id", "period"))
        mine = [p for p in qualifying if p.pk not in pushed or (
            p.mode == Mode.AUTOMATIC and (p.pk, current_period(compiled_of[p.pk].version)) not in granted)]
        if not mine:
            return 0
    facts = facts_for(enterprise.uscc)
    for policy in mine:
        assert policy.current_version is not None
        compiled = compile_version(policy.current_version, declared, policy=policy)
        match = evaluate_enterprise(compiled, enterprise, facts=facts)
        if apply_match(policy=policy, compiled=compiled, match=match, enterprise=enterprise) is not None:
            committed += 1
    return committed
