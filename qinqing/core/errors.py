"""The base of every domain error; each maps to one HTTP status and a translated message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the user can understand; `errors` maps field names to messages."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: Any, *, errors: dict[str, list[Any]] | None = None, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "detail": str(self.message),
            "errors": {field: [str(m) for m in messages] for field, messages in self.errors.items()},
        }


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
