"""Background work: send a payout after the commit that created it; sweep due retries and sent payouts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from qinqing.core.tasks import typed
from qinqing.policies.services.payouts import process_due_payouts, send_payout
from qinqing.policies.services.rematch import match_published


@typed(db_task(retries=3, retry_delay=5))
def send_payout_task(payout_id: int) -> None:
    """Send one payout to the bank (a no-op if it already left)."""
    send_payout(payout_id=payout_id)


@typed(db_periodic_task(crontab(minute="*")))
def sweep_payouts() -> None:
    """Retry due payouts (back-off) and confirm sent ones: what a restart picks up."""
    process_due_payouts()


@typed(db_task(retries=3, retry_delay=10))
def match_partition_task(policy_id: int, version_id: int, partitions: int, part: int) -> None:
    """Match one partition (enterprise id mod partitions) of a published policy's region; idempotent."""
    match_published(policy_id=policy_id, version_id=version_id, partitions=partitions, part=part)
