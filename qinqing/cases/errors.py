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
