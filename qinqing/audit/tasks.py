"""Background work of the audit trail: anchoring the chains' heads outside the database."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from qinqing.audit.checkpoints import CheckpointError, write_checkpoint
from qinqing.core.tasks import typed

logger = logging.getLogger(__name__)


@typed(db_periodic_task(crontab(minute=f"*/{settings.QINQING_AUDIT_CHECKPOINT_MINUTES}")))
def checkpoint_audit() -> None:
    """Write a signed checkpoint of every stream's head and export the records it newly covers."""
    with HUEY.lock_task("audit-checkpoint"):
        try:
            done = write_checkpoint()
        except CheckpointError:
            logger.critical("audit trail does not verify: no checkpoint written", exc_info=True)
            raise
    logger.info("audit checkpoint %s: %s streams moved, %s records exported", done.line, done.streams,
                done.exported)
