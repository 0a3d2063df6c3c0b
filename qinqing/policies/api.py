"""/api/v1/policies and /api/v1/payouts: public policies, 为我推荐, claims, and the officer's operations."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from qinqing.accounts.http import request_user
from qinqing.accounts.models import Role, User
from qinqing.core.api import ErrorOut, IdempotencyKey
from qinqing.core.errors import Forbidden
from qinqing.policies import services
from qinqing.policies.errors import PolicyInvalid
from qinqing.policies.models import Policy
from qinqing.policies.queries import (
    fund_summary,
    payout_row,
    payouts_for,
    policy_detail,
    policy_summary,
    public_policies,
    recommendations,
)

router = Router(tags=["policies"])
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                                     422: ErrorOut}


class PolicyOut(Schema):
    id: int
    code: str
    title: str
    department: str
    department_name: str
    document_number: str
    region: str
    region_name: str
    mode: str
    mode_label: str
    status: str
    board: str
    tags: list[str]
    valid_from: dt.date
    valid_until: dt.date
    amount_rule: str
    demo: bool


class PolicyConditionOut(Schema):
    key: str
    label: str
    label_en: str = ""


class PolicyDetailOut(PolicyOut):
    summary: str
    source_note: str
    version: int
    clause: str
    conditions: list[PolicyConditionOut]


class ReasonOut(Schema):
    fact: str
    value: Any
    unit: str = ""
    source: str
    source_name: str
    as_of: str


class EligibleOut(Schema):
    policy: PolicyOut
    amount: Decimal | None
    reasons: list[ReasonOut]
    entitlement_status: str = ""


class MissOut(Schema):
    policy: PolicyOut
    missing: str
    message: str


class ForMeOut(Schema):
    eligible: list[EligibleOut]
    near_misses: list[MissOut]


class ClaimOut(Schema):
    id: int
    key: str
    policy: str
    period: str
    amount: Decimal
    status: str
    payout_status: str = ""
    payout_reference: str = ""


class LedgerEntryOut(Schema):
    kind: str = Field(description="commit, pay, release or reversal")
    label: str
    amount: Decimal
    at: dt.datetime
    note: str


class PayoutOut(Schema):
    id: int
    reference: str
    policy: str
    policy_title: str
    clause: str
    version: int
    period: str
    amount: Decimal
    status: str
    status_label: str
    account: str
    bank: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    entries: list[LedgerEntryOut] = Field(default_factory=list, description="the payout's ledger, oldest first; "
                                          "a reversal is an entry of its own")


class PolicyIn(Schema):
    title: str
    title_en: str = ""
    document_number: str
    region: str
    valid_from: str
    valid_until: str
    mode: str
    budget: str
    eligibility: list[dict[str, Any]]
    amount: dict[str, Any]
    amount_text: str
    amount_text_en: str = ""
    clause: str = ""
    period: str = "year"
    board: str = ""
    tags: list[str] = []
    summary: str = ""
    source_note: str = ""


class SplitOut(Schema):
    name: str
    count: int
    total: str


class SampleOut(Schema):
    uscc: str
    name: str
    amount: str


class NearOut(Schema):
    uscc: str
    name: str
    missing: str
    message: str


class SimulationOut(Schema):
    evaluated: int
    qualifying: int
    total: str
    budget: str
    within_budget: bool
    by_region: list[SplitOut]
    by_industry: list[SplitOut]
    sample: list[SampleOut]
    near_misses: list[NearOut]


class FundOut(Schema):
    total: Decimal
    committed: Decimal
    paid: Decimal
    balance: Decimal
    by_status: dict[str, dict[str, Any]]
    by_region: list[dict[str, Any]]
    claims_waiting: int
    failures: list[PayoutOut]


def _managed(request: HttpRequest, policy_id: int) -> tuple[User, Policy]:
    user = request_user(request)
    if not (user.is_superuser or user.has_role(Role.POLICY_OFFICER)):
        raise Forbidden(_("Only a policy officer may do this."))
    return user, get_object_or_404(Policy.objects.managed_by(user).select_related("current_version", "region"),
                                   pk=policy_id)


def _claim(entitlement: Any) -> dict[str, Any]:
    payout = getattr(entitlement, "payout", None)
    return {"id": entitlement.pk, "key": entitlement.key, "policy": entitlement.policy.code,
            "period": entitlement.period, "amount": entitlement.amount, "status": entitlement.status,
            "payout_status": payout.status if payout else "", "payout_reference": payout.reference if payout else ""}


@router.get("/policies", response={200: list[PolicyOut], **ERRORS}, auth=None)
def list_policies(request: HttpRequest, department: str = "", board: str = "", tag: str = "",
                  q: str = "") -> list[dict[str, Any]]:
    """Published policies, by department, board, tag or words (public)."""
    return [policy_summary(p) for p in public_policies(department=department[:16], board=board[:40], tag=tag[:20],
                                                         q=q[:100])[:500]]


@router.get("/policies/for-me", response={200: ForMeOut, **ERRORS})
def for_me(request: HttpRequest) -> dict[str, Any]:
    """为我推荐: the policies the enterprise qualifies for, with amount and reasons, and near misses."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise Forbidden(_("Only an enterprise has recommendations."))
    eligible, near = recommendations(user.enterprise)
    return {
        "eligible": [{"policy": policy_summary(r.policy), "amount": r.entitlement.amount if r.entitlement else
                      r.match.amount, "reasons": list(r.entitlement.reasons if r.entitlement and r.entitlement.reasons else r.match.reasons),
                      "entitlement_status": r.entitlement.status if r.entitlement else ""} for r in eligible],
        "near_misses": [{"policy": policy_summary(r.policy), "missing": r.match.failed[0].label,
                         "message": r.match.failed[0].message} for r in near],
    }


@router.get("/policies/{policy_id}", response={200: PolicyDetailOut, **ERRORS}, auth=None)
def get_policy(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    """A policy: its document, conditions in plain words, amount rule (public)."""
    policy = get_object_or_404(Policy.objects.public().select_related("department", "region", "current_version"),
                               pk=policy_id)
    return policy_detail(policy)


def _period(request: HttpRequest) -> str | None:
    """The optional body's period ({"period": "2026"}); no body means the current period."""
    if request.content_type != "application/json":
        return None  # no JSON body (a form post's stream may already be parsed: never touch .body then)
    raw = request.body.strip()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("period", ""), str | None):
        raise PolicyInvalid(_("The body must be a JSON object such as {\"period\": \"2026\"}."))
    period = data.get("period")
    return str(period)[:16] if period else None


CLAIM_BODY = {"requestBody": {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "properties": {"period": {"type": "string", "maxLength": 16}}}}}}}


@router.post("/policies/{policy_id}/claims", response={200: ClaimOut, 201: ClaimOut, **ERRORS},
             openapi_extra=CLAIM_BODY)
def claim(request: HttpRequest, policy_id: int, idempotency_key: IdempotencyKey) -> Status[dict[str, Any]]:
    """Claim a 即申即享 or 审核兑付 policy; a repeat for the same period answers the existing claim (200).

    The body is optional: the period defaults to the current one and the account on file is used.
    """
    user = request_user(request)
    policy = get_object_or_404(Policy.objects.public(), pk=policy_id)
    entitlement, created = services.claim_policy(policy=policy, user=user, period=_period(request))
    return Status(201 if created else 200, _claim(entitlement))


@router.get("/payouts", response={200: list[PayoutOut], **ERRORS})
def list_payouts(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's payouts: an enterprise's own, an officer's department's."""
    return [payout_row(p) for p in payouts_for(request_user(request))[:500]]


@router.post("/policies", response={201: PolicyDetailOut, **ERRORS})
def create(request: HttpRequest, body: PolicyIn) -> Status[dict[str, Any]]:
    """Author a draft policy (policy officers); unsafe rules are refused with a message per field."""
    policy = services.create_policy(officer=request_user(request), data=body.dict())
    return Status(201, policy_detail(policy))


@router.post("/policies/{policy_id}/simulate", response={200: SimulationOut, **ERRORS})
def simulate(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    """Who would qualify, at what cost against the budget, where, and who nearly does."""
    user, policy = _managed(request, policy_id)
    return services.simulate_policy(policy=policy, officer=user).as_dict()


@router.post("/policies/{policy_id}/publish", response={200: PolicyDetailOut, **ERRORS})
def publish(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    """Publish a policy: matching runs and 免申即享 pays within seconds."""
    user, policy = _managed(request, policy_id)
    return policy_detail(services.publish_policy(policy=policy, officer=user))


@router.get("/policies/{policy_id}/fund", response={200: FundOut, **ERRORS})
def fund(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    """The fund pool: total, committed, paid, balance; payouts by status and region; failures."""
    _user, policy = _managed(request, policy_id)
    return fund_summary(policy)
