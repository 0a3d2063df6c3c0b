"""Request ids in the logs: every record written while a request is handled carries its id."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("qinqing_request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id(offered: str = "") -> str:
    """A proxy's id when it is safe to log as it is, else a fresh random one."""
    return offered if _SAFE.match(offered) else uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being handled, or "-" outside a request."""
    return _request_id.get()


def bind_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def unbind_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Add `request_id` to every record (the request's, from the record's request, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        from_request = getattr(request, "request_id", None) if request is not None else None
        record.request_id = from_request or current_request_id()
        return True
