"""Shaped reads of the policies app: public lists and details, 为我推荐, payouts, the fund pool."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.datahub.queries import fact_specs, facts_for
from qinqing.policies.matching import Match, compile_version, evaluate_enterprise
from qinqing.policies.models import Entitlement, FundPool, Payout, Policy
from qinqing.policies.workflow import PayoutStatus, PolicyStatus


def public_policies(*, department: str = "", board: str = "", tag: str = "", q: str = "") -> QuerySet[Policy]:
    """Published (and paused or closed) policies, filtered by department code, board, tag or words."""
    rows = Policy.objects.public().select_related("department", "region", "current_version")
    if department:
        rows = rows.filter(department__code=department)
    if board:
        rows = rows.filter(board=board)
    if tag:
        rows = rows.filter(tags__icontains=tag)
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(document_number__icontains=q))
    return rows.order_by("status", "-published_at", "code")


def conditions_in_words(policy: Policy) -> list[dict[str, str]]:
    """Every eligibility condition as its label (the region first), for a public page."""
    out = [{"key": "region", "label": _("Registered in %(region)s") % {"region": policy.region.name}, "label_en": ""}]
    version = policy.current_version
    for cond in (version.eligibility if version is not None else []):
        out.append({"key": str(cond.get("key", "")), "label": str(cond.get("label", "")),
                    "label_en": str(cond.get("label_en", ""))})
    return out


def policy_summary(policy: Policy) -> dict[str, Any]:
    version = policy.current_version
    return {
        "id": policy.pk, "code": policy.code, "title": policy.display_title, "department": policy.department.code,
        "department_name": policy.department.display_name, "document_number": policy.document_number,
        "region": policy.region.code, "region_name": policy.region.name, "mode": policy.mode,
        "mode_label": str(policy.get_mode_display()), "status": policy.status, "board": policy.board,
        "tags": list(policy.tags or []), "valid_from": policy.valid_from, "valid_until": policy.valid_until,
        "amount_rule": version.display_amount_text if version is not None else "",
        "demo": policy.demo,
    }


def policy_detail(policy: Policy) -> dict[str, Any]:
    version = policy.current_version
    return {
        **policy_summary(policy), "summary": policy.display_summary, "source_note": policy.source_note,
        "version": version.number if version is not None else 0, "clause": version.clause if version else "",
        "conditions": conditions_in_words(policy),
    }


@dataclass(frozen=True)
class Recommendation:
    policy: Policy
    match: Match
    entitlement: Entitlement | None


def recommendations(enterprise: Enterprise) -> tuple[list[Recommendation], list[Recommendation]]:
    """为我推荐: published policies the enterprise qualifies for, and those it misses by one condition."""
    facts = facts_for(enterprise.uscc)
    owned = {e.policy_id: e for e in Entitlement.objects.filter(enterprise=enterprise).select_related("payout")}
    eligible: list[Recommendation] = []
    near: list[Recommendation] = []
    path = enterprise.region.path if enterprise.region is not None else ""
    for policy in (Policy.objects.filter(status=PolicyStatus.PUBLISHED)
                   .select_related("current_version", "region", "department").order_by("code")):
        if policy.current_version is None or not path.startswith(policy.region.path):
            continue
        match = evaluate_enterprise(compile_version(policy.current_version, policy=policy), enterprise, facts=facts)
        row = Recommendation(policy, match, owned.get(policy.pk))
        if match.eligible or row.entitlement is not None:
            eligible.append(row)
        elif match.near_miss:
            near.append(row)
    return eligible, near


def labelled_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts that make an enterprise qualify, with the datahub's label of each."""
    specs = fact_specs()
    return [{**r, "label": specs[r["fact"]].label if r["fact"] in specs else r["fact"]} for r in reasons]


def payouts_for(user: User) -> QuerySet[Payout]:
    return (Payout.objects.visible_to(user)
            .select_related("entitlement__policy__department", "entitlement__version", "entitlement__enterprise")
            .prefetch_related("entries").order_by("-created_at", "-id"))


def officer_payouts(policy: Policy, limit: int = 500) -> QuerySet[Payout]:
    """A policy's payouts for its officer (already scoped by `managed_by`), newest first, with their entries."""
    return (Payout.objects.filter(entitlement__policy=policy)
            .select_related("entitlement__policy", "entitlement__version", "entitlement__enterprise")
            .prefetch_related("entries").order_by("-created_at", "-id")[:limit])


def period_label(period: str) -> str:
    """An entitlement's period as a finance manager reads it: 一次性 or 2026年度."""
    if period == "once":
        return _("one-off")
    return _("year %(year)s") % {"year": period} if period.isdigit() else period


def payout_row(payout: Payout) -> dict[str, Any]:
    ent = payout.entitlement
    return {
        "id": payout.pk, "reference": payout.reference, "policy": ent.policy.code, "policy_title": ent.policy.title,
        "clause": ent.version.clause, "version": ent.version.number, "period": ent.period,
        "period_label": period_label(ent.period),
        "amount": payout.amount, "status": payout.status, "status_label": str(payout.get_status_display()),
        "account": payout.masked_account, "bank": payout.bank_name, "created_at": payout.created_at,
        "paid_at": payout.paid_at, "enterprise": ent.enterprise.name, "reversible": payout.status == PayoutStatus.PAID,
        # The ledger of this payout, oldest first: a reversal is an entry of its own, never an edit.
        "entries": [{"kind": e.kind, "label": str(e.get_kind_display()), "amount": e.amount, "at": e.at,
                     "note": e.note} for e in payout.entries.all()],
    }


def fund_summary(policy: Policy) -> dict[str, Any]:
    """The pool (total / committed / paid / balance), payouts by status, claims waiting, failures, by region."""
    pool = FundPool.objects.get(policy=policy)
    payouts = Payout.objects.filter(entitlement__policy=policy)
    by_status = {row["status"]: {"count": row["n"], "amount": row["s"] or Decimal(0)}
                 for row in payouts.values("status").annotate(n=Count("id"), s=Sum("amount"))}
    by_region = [{"region": row["entitlement__enterprise__region__name"] or "—", "count": row["n"],
                  "amount": row["s"] or Decimal(0)}
                 for row in payouts.values("entitlement__enterprise__region__name").annotate(n=Count("id"),
                                                                                          s=Sum("amount"))
                 .order_by("-s")]
    return {
        "total": pool.total, "committed": pool.committed, "paid": pool.paid, "balance": pool.balance,
        "by_status": by_status, "by_region": by_region,
        "claims_waiting": Entitlement.objects.filter(policy=policy, status="under_review").count(),
        "failures": [payout_row(p) for p in payouts.filter(status=PayoutStatus.FAILED).select_related(
            "entitlement__policy", "entitlement__version")[:50]],
    }


@dataclass(frozen=True)
class Difference:
    reference: str
    kind: str  # missing_at_bank | unknown_to_ledger | amount | not_paid_in_ledger | not_settled_at_bank
    ledger: str
    bank: str


def reconcile(transfers: list[Any]) -> list[Difference]:
    """Compare the ledger's payouts with a bank statement; every difference, by reference."""
    bank = {t.reference: t for t in transfers}
    out: list[Difference] = []
    seen: set[str] = set()
    for payout in Payout.objects.order_by("pk").iterator(chunk_size=5000):
        seen.add(payout.reference)
        transfer = bank.get(payout.reference)
        ledger = f"{payout.status} {payout.amount}"
        if transfer is None:
            if payout.status in (PayoutStatus.SENT, PayoutStatus.PAID, PayoutStatus.REVERSED):
                out.append(Difference(payout.reference, "missing_at_bank", ledger, ""))
            continue
        shown = f"{transfer.status} {transfer.amount}"
        if transfer.amount != payout.amount:
            out.append(Difference(payout.reference, "amount", ledger, shown))
        elif transfer.status == "settled" and payout.status in (PayoutStatus.PENDING, PayoutStatus.SENT,
                                                                PayoutStatus.FAILED):
            out.append(Difference(payout.reference, "not_paid_in_ledger", ledger, shown))
        elif transfer.status != "settled" and payout.status == PayoutStatus.PAID:
            out.append(Difference(payout.reference, "not_settled_at_bank", ledger, shown))
    for reference, transfer in bank.items():
        if reference not in seen:
            out.append(Difference(reference, "unknown_to_ledger", "", f"{transfer.status} {transfer.amount}"))
    return out
