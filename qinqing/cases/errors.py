from typing import Any

from django.utils.translation import gettext_lazy as _

from qinqing.core.errors import Conflict, DomainError, ValidationFailed


class CaseInvalid(ValidationFailed):
    code = "case_invalid"


class TransitionRefused(Conflict):
    code = "transition_refused"


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class UploadRefused(ValidationFailed):
    code = "upload_refused"


class NotAnEnterprise(DomainError):
    status_code = 403
    code = "enterprise_only"


NOT_ALLOWED_NOW = _("This action is not allowed while the case is %(status)s.")


class RosterRefused(UploadRefused):
    code = "roster_refused"


class DuplicateApplication(Conflict):
    """The enterprise already holds the application (or licence) this matter allows only once.

    `existing` names it: {"id", "number", "url"}; the API answers 409 with it, a page links to it.
    """

    code = "duplicate_application"

    def __init__(self, message: Any, *, existing: dict[str, Any], errors: dict[str, list[Any]] | None = None) -> None:
        super().__init__(message, errors=errors)
        self.existing = existing

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "existing": self.existing}


class LicenceNotVerifiable(Conflict):
    """The licence's stored payload no longer verifies: the platform will not print or sign it again."""

    code = "licence_not_verifiable"
