"""Outside channels behind one interface; the default backend writes to the log (a sandbox)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("qinqing.notifications")


class Backend(Protocol):
    def send(self, *, address: str, title: str, body: str) -> None: ...


class LogBackend:
    """Log the message instead of sending it (the sandbox for SMS gateways and mail servers).

    `sent` keeps the latest messages for tests and the demo, bounded so a long-running server doesn't grow.
    """

    KEEP = 1000
    sent: list[tuple[str, str, str]] = []

    def send(self, *, address: str, title: str, body: str) -> None:
        LogBackend.sent.append((address, title, body))
        if len(LogBackend.sent) > 2 * LogBackend.KEEP:
            del LogBackend.sent[: -LogBackend.KEEP]
        logger.info("deliver to %s: %s — %s", address, title, body)


def backend_for(channel: str) -> Backend:
    """Return the configured backend of a channel ("sms" or "email")."""
    path = settings.QINQING_SMS_BACKEND if channel == "sms" else settings.QINQING_EMAIL_BACKEND
    backend: Backend = import_string(path)()
    return backend
