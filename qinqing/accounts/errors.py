from django.utils.translation import gettext_lazy as _

from qinqing.core.errors import DomainError, ValidationFailed

USCC_REASONS = {
    "length": _("A unified social credit code has exactly 18 characters."),
    "full_width": _("Use half-width characters: the code contains full-width characters."),
    "alphabet": _("The code may only contain digits and the capital letters allowed by GB 32100 (no I, O, S, V, Z)."),
    "department": _("The first character is not a registration department code."),
    "division": _("Characters 3 to 8 must be a six-digit administrative division code."),
    "org_check": _("The organisation code inside it (characters 9 to 17) fails its GB 11714 check."),
    "check": _("The check character (the 18th) is wrong: please check the code."),
}


class InvalidCredentials(DomainError):
    status_code = 401
    code = "invalid_credentials"


class AccountInvalid(ValidationFailed):
    code = "account_invalid"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"
