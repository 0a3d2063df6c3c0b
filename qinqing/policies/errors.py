"""Refusals of the policies app; each maps to one HTTP status in `qinqing/api.py`."""

from __future__ import annotations

from qinqing.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


class PolicyInvalid(ValidationFailed):
    """A policy that may not be stored: unknown fact, operator outside the whitelist, no cap, small budget."""

    code = "policy_invalid"


class PolicyNotManaged(Forbidden):
    code = "not_your_policy"


class PolicyNotFound(NotFound):
    code = "policy_not_found"


class WrongPolicyStatus(Conflict):
    code = "wrong_policy_status"


class NotEligible(DomainError):
    status_code = 422
    code = "not_eligible"


class NoBankAccount(DomainError):
    status_code = 422
    code = "no_bank_account"


class FundExhausted(Conflict):
    code = "fund_exhausted"


class ClaimNotAllowed(Conflict):
    code = "claim_not_allowed"


class WrongPayoutStatus(Conflict):
    code = "wrong_payout_status"
