"""Pages: sign-up of an enterprise by its legal representative (registry check, then SMS code)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qinqing.accounts.recovery import CODE_TTL, masked
from qinqing.accounts.views import client_address
from qinqing.core.errors import DomainError
from qinqing.core.web import domain_error_messages
from qinqing.datahub.signup import PendingSignup, complete_signup, start_signup

_PENDING = "qinqing_signup"
_FIELDS = ("uscc", "name", "legal_representative", "phone")


def signup(request: HttpRequest) -> HttpResponse:
    """Step 1: code, name, legal representative and mobile, checked against the market registry."""
    values = {k: request.POST.get(k, "") for k in _FIELDS} if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    summary = ""
    if request.method == "POST":
        try:
            pending = start_signup(ip=client_address(request), **values)
        except DomainError as exc:
            shown = domain_error_messages(exc)
            errors, summary = shown.fields, shown.summary
        else:
            request.session[_PENDING] = pending.as_dict()
            messages.info(request, _("A code was sent to %(phone)s; it is valid for %(minutes)d minutes.")
                          % {"phone": masked(pending.phone), "minutes": int(CODE_TTL.total_seconds() // 60)})
            return redirect("web:signup_verify")
    return render(request, "accounts/signup.html", {"values": values, "errors": errors, "summary": summary},
                  status=422 if errors else 200)


def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the SMS code and a password create the account; the new user lands on 我的办事."""
    pending = PendingSignup.from_dict(request.session.get(_PENDING))
    if pending is None:
        return redirect("web:signup")
    errors: dict[str, list[str]] = {}
    summary = ""
    if request.method == "POST":
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors, summary = {"password2": [_("The two passwords differ.")]}, _("Please correct the marked fields.")
        else:
            try:
                user = complete_signup(pending=pending, code=request.POST.get("code", ""), password=password)
            except DomainError as exc:
                shown = domain_error_messages(exc)
                errors, summary = shown.fields, shown.summary
            else:
                request.session.pop(_PENDING, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome: the account of %(name)s is ready.") % {"name": pending.name})
                return redirect("web:desk")
    return render(request, "accounts/signup_verify.html", {
        "pending": pending, "phone": masked(pending.phone), "errors": errors, "summary": summary,
    }, status=422 if errors else 200)
