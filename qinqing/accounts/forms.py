from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qinqing.accounts import throttle
from qinqing.accounts.errors import USCC_REASONS, InvalidCredentials
from qinqing.accounts.recovery import CodeInvalid
from qinqing.accounts.services import login_name
from qinqing.core.ids import InvalidUSCC


class LoginForm(AuthenticationForm):
    """Log in with a 统一社会信用代码 (enterprises) or a staff username, under the login throttle."""

    username = forms.CharField(
        label=_("Unified social credit code or staff username"), max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "characters"}),
    )
    code = forms.CharField(
        label=_("Code texted to the registered mobile"), max_length=16, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The code (or username) or the password is wrong. The code may be typed in any case; "
                           "the password is case-sensitive."),
    }
    throttled: throttle.LoginThrottled | None = None

    def clean_username(self) -> Any:
        try:
            return login_name(str(self.cleaned_data["username"]))
        except InvalidUSCC as exc:
            raise ValidationError(
                _("This unified social credit code is invalid: %(reason)s") % {"reason": USCC_REASONS[exc.reason]},
                code="invalid_uscc",
            ) from exc

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = throttle.log_in(request=self.request, username=username, password=password,
                                              code=self.cleaned_data.get("code") or "")
        except throttle.LoginThrottled as exc:
            self.throttled = exc
            raise ValidationError(str(exc.message), code="throttled") from exc
        except CodeInvalid as exc:
            self.add_error("code", str(exc.message))
            return self.cleaned_data
        except InvalidCredentials as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login under the same throttle (it used to call `authenticate` unthrottled)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = throttle.log_in(request=self.request, username=str(username).strip(),
                                              password=password)
        except throttle.LoginThrottled as exc:
            raise ValidationError(str(exc.message), code="throttled") from exc
        except InvalidCredentials as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
