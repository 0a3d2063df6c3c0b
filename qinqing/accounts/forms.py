from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Log in with a 统一社会信用代码 (enterprises) or a staff username."""

    username = forms.CharField(
        label=_("Unified social credit code or staff username"), max_length=64,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "characters"}),
    )

    def clean_username(self) -> Any:
        value = str(self.cleaned_data["username"]).strip()
        return value.upper() if len(value) == 18 else value
