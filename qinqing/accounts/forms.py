from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.errors import USCC_REASONS
from qinqing.accounts.services import login_name
from qinqing.core.ids import InvalidUSCC


class LoginForm(AuthenticationForm):
    """Log in with a 统一社会信用代码 (enterprises) or a staff username."""

    username = forms.CharField(
        label=_("Unified social credit code or staff username"), max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "characters"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The code (or username) or the password is wrong. The code may be typed in any case; "
                           "the password is case-sensitive."),
    }

    def clean_username(self) -> Any:
        try:
            return login_name(str(self.cleaned_data["username"]))
        except InvalidUSCC as exc:
            raise ValidationError(
                _("This unified social credit code is invalid: %(reason)s") % {"reason": USCC_REASONS[exc.reason]},
                code="invalid_uscc",
            ) from exc
