"""Nightly clean-up of expired tokens and old login attempts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qinqing.accounts.services import prune_tokens
from qinqing.accounts.throttle import prune_attempts
from qinqing.core.tasks import typed


@typed(db_periodic_task(crontab(hour="3", minute="17")))
def prune_old_tokens_and_attempts() -> None:
    """Delete tokens expired or revoked a week ago and login attempts older than a month."""
    prune_tokens()
    prune_attempts()
