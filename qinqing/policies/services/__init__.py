"""Writes of the policies app: one service per state change, each inside `core.events.atomic()`."""

from qinqing.policies.services.authoring import (
    close_policy,
    count_qualifying,
    create_policy,
    pause_policy,
    publish_policy,
    revise_policy,
    simulate_policy,
)
from qinqing.policies.services.claims import (
    claim_policy,
    register_bank_account,
    rematch_enterprise,
    review_claim,
)
from qinqing.policies.services.payouts import (
    confirm_payout,
    process_due_payouts,
    reverse_payout,
    send_payout,
)

__all__ = [
    "claim_policy", "close_policy", "confirm_payout", "count_qualifying", "create_policy", "pause_policy",
    "process_due_payouts", "publish_policy", "register_bank_account", "rematch_enterprise", "reverse_payout",
    "review_claim", "revise_policy", "send_payout", "simulate_policy",
]
