"""Turn a domain refusal into what a page shows: a summary and each field's messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest

from qinqing.core.errors import DomainError


@dataclass(frozen=True)
class ErrorMessages:
    """A refusal as text: the summary line and the messages of each field."""

    summary: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The summary followed by every field's messages, on one line."""
        details = [m for msgs in self.fields.values() for m in msgs]
        return " ".join([self.summary, *details]).strip()


def domain_error_messages(exc: DomainError, request: HttpRequest | None = None, *,
                          flash_details: bool = True) -> ErrorMessages:
    """Return the refusal's messages; given a request, also flash them (summary only without details)."""
    shown = ErrorMessages(summary=str(exc.message),
                          fields={str(k): [str(m) for m in v] for k, v in exc.errors.items()})
    if request is not None:
        messages.error(request, shown.text if flash_details else shown.summary)
    return shown
