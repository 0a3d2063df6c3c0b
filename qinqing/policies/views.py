"""Policy pages: the public list and detail, 为我推荐, payouts and receipts, the bank account, the officer's desk."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.accounts.http import optional_user, request_user
from qinqing.accounts.models import Department, Role, User
from qinqing.core.errors import DomainError
from qinqing.core.web import domain_error_messages
from qinqing.datahub.queries import fact_specs
from qinqing.policies import forms, services
from qinqing.policies.conditions import ROW_OPERATORS, rows_of
from qinqing.policies.errors import WrongPayoutStatus
from qinqing.policies.matching import compile_version, evaluate_enterprise
from qinqing.policies.models import BankAccount, Entitlement, Payout, Policy
from qinqing.policies.pdf import receipt_response
from qinqing.policies.queries import (
    conditions_in_words,
    fund_summary,
    labelled_reasons,
    officer_payouts,
    payout_row,
    payouts_for,
    public_policies,
    recommendations,
)
from qinqing.policies.services.authoring import qualifying_count
from qinqing.policies.workflow import Mode
from qinqing.regions.models import Region


def index(request: HttpRequest) -> HttpResponse:
    """Published policies by department, board and tag."""
    department, board, tag = (request.GET.get(k, "")[:40] for k in ("department", "board", "tag"))
    policies = public_policies(department=department, board=board, tag=tag, q=request.GET.get("q", "")[:100])
    return render(request, "policies/index.html", {
        "policies": policies, "department": department, "board": board, "tag": tag,
        "departments": Department.objects.filter(policies__isnull=False).exclude(
            policies__status="draft").distinct(),
        "boards": sorted({b for b in Policy.objects.public().values_list("board", flat=True) if b}),
    })


def detail(request: HttpRequest, code: str) -> HttpResponse:
    """A policy's document, conditions in plain words, amount rule; 可能符合 for a logged-in enterprise."""
    policy = get_object_or_404(Policy.objects.public().select_related("department", "region", "current_version"),
                               code=code)
    user = optional_user(request)
    match = entitlement = None
    if user is not None and user.is_enterprise and user.enterprise is not None and policy.current_version:
        match = evaluate_enterprise(compile_version(policy.current_version, policy=policy), user.enterprise)
        entitlement = Entitlement.objects.filter(policy=policy, enterprise=user.enterprise).select_related(
            "payout").first()
    return render(request, "policies/detail.html", {
        "policy": policy, "version": policy.current_version, "conditions": conditions_in_words(policy),
        "match": match, "entitlement": entitlement, "reasons": labelled_reasons(list(match.reasons)) if match else [],
    })


@login_required
@require_POST
def claim(request: HttpRequest, code: str) -> HttpResponse:
    """One click: verified against shared data; 即申即享 paid in the same request."""
    policy = get_object_or_404(Policy.objects.public(), code=code)
    try:
        entitlement, created = services.claim_policy(policy=policy, user=request_user(request))
    except DomainError as exc:
        domain_error_messages(exc, request)
        return redirect("policies:detail", code=code)
    if not created:
        messages.info(request, _("You already claimed this policy for this period."))
    elif entitlement.status == "under_review":
        messages.success(request, _("Claim received: the department reviews it."))
    else:
        messages.success(request, _("Verified: %(amount)s yuan sent to your account.") % {"amount": entitlement.amount})
    return redirect("policies:payouts")


def _enterprise_user(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise PermissionDenied
    return user


@login_required
def for_me(request: HttpRequest) -> HttpResponse:
    """为我推荐: what the enterprise qualifies for, with amount and the facts behind it; near misses."""
    user = _enterprise_user(request)
    assert user.enterprise is not None
    eligible, near = recommendations(user.enterprise)
    rows = [{"r": r, "reasons": labelled_reasons(list(r.entitlement.reasons if r.entitlement and r.entitlement.reasons else r.match.reasons))}
            for r in eligible]
    return render(request, "policies/for_me.html", {"eligible": rows, "near": near,
                                                    "has_account": BankAccount.objects.filter(
                                                        enterprise=user.enterprise).exists()})


@login_required
def payouts(request: HttpRequest) -> HttpResponse:
    """Every payout the user may see (an enterprise's own), with status, amount, clause and receipt."""
    user = request_user(request)
    return render(request, "policies/payouts.html", {"payouts": [payout_row(p) for p in payouts_for(user)[:300]]})


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A payout's receipt as a PDF."""
    payout = get_object_or_404(payouts_for(request_user(request)), pk=pk)
    return receipt_response(payout)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The receiving bank account on file: typed in full here, shown masked everywhere else."""
    user = _enterprise_user(request)
    current = BankAccount.objects.filter(enterprise=user.enterprise).first()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.register_bank_account(user=user, bank_name=request.POST.get("bank_name", "")[:100],
                                           account_name=request.POST.get("account_name", "")[:200],
                                           number=request.POST.get("number", "")[:60])
        except DomainError as exc:
            errors = domain_error_messages(exc, request).fields
        else:
            messages.success(request, _("The receiving account is saved."))
            return redirect("policies:account")
    return render(request, "policies/account.html", {"current": current, "errors": errors, "post": request.POST,
                                                     "enterprise": user.enterprise},
                  status=422 if errors else 200)


def _officer(request: HttpRequest) -> User:
    user = request_user(request)
    if not (user.is_superuser or user.has_role(Role.POLICY_OFFICER)):
        raise PermissionDenied
    return user


def _managed(request: HttpRequest, code: str) -> tuple[User, Policy]:
    user = _officer(request)
    policy = Policy.objects.managed_by(user).select_related("current_version", "region", "department").filter(
        code=code).first()
    if policy is None:
        raise Http404
    return user, policy


def _form_context(policy: Policy | None, post: Any = None, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    specs = fact_specs()
    version = policy.current_version if policy is not None else None
    rows = rows_of(version.eligibility) if version is not None else []
    if post is not None:
        rows = forms.builder_rows(post)
    rows = (rows + [{"fact": "", "op": "", "value": ""}] * forms.ROWS)[:forms.ROWS]
    return {
        "policy": policy, "version": version, "facts": sorted(specs.items()), "operators": ROW_OPERATORS.items(),
        "rows": [{"i": i, **row} for i, row in enumerate(rows)], "errors": errors or {}, "post": post,
        "modes": Mode.choices, "regions": Region.objects.filter(code__startswith="3301").order_by("path")[:200],
        "eligibility_json": json.dumps(version.eligibility, ensure_ascii=False, indent=1) if version else "",
        "amount_json": json.dumps(version.amount, ensure_ascii=False) if version else "",
    }


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The officer's desk: its department's policies with their fund pools."""
    user = _officer(request)
    policies = Policy.objects.managed_by(user).select_related("fund", "region").order_by("status", "code")
    return render(request, "policies/manage.html", {"policies": policies})


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Author a policy with the condition builder (rows of fact / operator / value) or the JSON view."""
    user = _officer(request)
    if request.method == "POST":
        try:
            policy = services.create_policy(officer=user, data=forms.policy_data(request.POST))
        except DomainError as exc:
            return render(request, "policies/edit.html",
                          _form_context(None, request.POST, domain_error_messages(exc, request).fields), status=422)
        messages.success(request, _("Draft saved. Simulate it before publishing."))
        return redirect("policies:manage_detail", code=policy.code)
    return render(request, "policies/edit.html", _form_context(None))


@login_required
def manage_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One policy for its officer: rules, simulate, publish / pause / close, fund pool, claims, failures."""
    user, policy = _managed(request, code)
    if request.method == "POST":
        try:
            services.revise_policy(policy=policy, officer=user, data=forms.policy_data(request.POST))
        except DomainError as exc:
            context = _form_context(policy, request.POST, domain_error_messages(exc, request).fields)
            return render(request, "policies/edit.html", context, status=422)
        messages.success(request, _("Saved."))
        return redirect("policies:manage_detail", code=code)
    claims = Entitlement.objects.filter(policy=policy, status="under_review").select_related("enterprise")
    return render(request, "policies/manage_detail.html", {
        **_form_context(policy), "fund": fund_summary(policy), "claims": claims,
        "conditions": conditions_in_words(policy),
    })


@login_required
@require_POST
def live_count(request: HttpRequest) -> HttpResponse:
    """htmx: how many enterprises of the chosen region meet the conditions being edited."""
    _officer(request)
    region = Region.objects.filter(code=request.POST.get("region", "")[:24]).first()
    try:
        eligibility = forms.eligibility_from(request.POST)
        count = qualifying_count(eligibility=eligibility, region=region) if region is not None else None
    except DomainError:
        count = None
    return render(request, "policies/_count.html", {"count": count})


@login_required
@require_POST
def simulate(request: HttpRequest, code: str) -> HttpResponse:
    """Simulate over the registry: count, cost against budget, split by region and industry, samples."""
    user, policy = _managed(request, code)
    result = services.simulate_policy(policy=policy, officer=user)
    return render(request, "policies/simulation.html", {"policy": policy, "result": result})


ACTIONS = {"publish": services.publish_policy, "pause": services.pause_policy, "close": services.close_policy}


@login_required
@require_POST
def transition(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Publish, pause or close."""
    user, policy = _managed(request, code)
    if action not in ACTIONS:
        raise Http404
    try:
        ACTIONS[action](policy=policy, officer=user)
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("Done."))
    return redirect("policies:manage_detail", code=code)


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant or reject a 审核兑付 claim."""
    user = _officer(request)
    entitlement = get_object_or_404(Entitlement.objects.filter(
        policy__in=Policy.objects.managed_by(user)).select_related("policy"), pk=pk)
    try:
        services.review_claim(entitlement=entitlement, officer=user, approve=request.POST.get("outcome") == "grant",
                              note=request.POST.get("note", "")[:2000])
    except DomainError as exc:
        domain_error_messages(exc, request)
    return redirect("policies:manage_detail", code=entitlement.policy.code)


@login_required
def manage_payouts(request: HttpRequest, code: str) -> HttpResponse:
    """A policy's payouts for its officer: status, account, every ledger entry; reverse a paid one."""
    _user, policy = _managed(request, code)
    rows = [payout_row(p) for p in officer_payouts(policy)]
    return render(request, "policies/manage_payouts.html", {"policy": policy, "payouts": rows,
                                                             "fund": fund_summary(policy)})


@login_required
@require_POST
def reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse a paid payout: a new ledger entry returns the money to the pool; the payout is never edited."""
    user = _officer(request)
    payout = get_object_or_404(Payout.objects.filter(entitlement__policy__in=Policy.objects.managed_by(user))
                               .select_related("entitlement__policy"), pk=pk)
    code = payout.entitlement.policy.code
    try:
        services.reverse_payout(payout=payout, officer=user, reason=request.POST.get("reason", "")[:300])
    except WrongPayoutStatus:
        messages.error(request, _("Only a paid payout can be reversed."))
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("Reversed: the amount is back in the fund pool."))
    return redirect("policies:manage_payouts", code=code)
