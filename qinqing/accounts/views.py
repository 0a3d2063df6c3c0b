from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.accounts import recovery, throttle
from qinqing.accounts.forms import LoginForm
from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.accounts.services import login_name
from qinqing.core import net
from qinqing.core.errors import DomainError
from qinqing.core.ids import InvalidUSCC
from qinqing.core.web import domain_error_messages


def landing_url(user: User) -> str:
    """Where a user lands after logging in: their own desk.

    An administrator on the admin, a reviewer on the review workbench, an agent on the agent
    workbench, an enterprise on 我的办事, street and district staff on their area's cases; anyone else on the home page.
    """
    if user.is_superuser or (user.is_staff and not user.is_reviewer and not user.is_agent):
        return reverse("admin:index")
    if user.is_reviewer:
        return reverse("cases:workbench")
    if user.is_agent:
        return reverse("bundles:workbench")
    if user.is_enterprise:
        return reverse("web:desk")
    if user.is_regional_staff:
        return reverse("cases:my_cases")
    return reverse("web:home")


_CODE_LOGIN = "qinqing_code_login"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        name = self.request.session.get(_CODE_LOGIN)
        if name:
            initial["username"] = name
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["ask_code"] = bool(self.request.session.get(_CODE_LOGIN)) or bool(
            form is not None and form.is_bound and (form.data.get("code") or form.errors.get("code")))
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        self.request.session.pop(_CODE_LOGIN, None)
        response = super().form_valid(form)
        self.request.session.pop(_CODE_LOGIN, None)
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        """A throttled attempt gets the throttled page (429): when to retry, and the SMS code way in."""
        if form.throttled is None:
            return super().form_invalid(form)
        exc = form.throttled
        response = render(self.request, "accounts/locked.html", {
            "message": exc.message, "wait_minutes": max(1, -(-exc.retry_after // 60)),
            "username": form.cleaned_data.get("username", ""),
        }, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def get_default_redirect_url(self) -> str:
        """Without a `next`, land on the user's own desk."""
        user = self.request.user
        if isinstance(user, User) and user.is_authenticated:
            return landing_url(user)
        return super().get_default_redirect_url()


def client_address(request: HttpRequest) -> str | None:
    """The caller's address (REMOTE_ADDR, or X-Forwarded-For through the trusted proxies only)."""
    return net.client_address(request)


@require_POST
def login_code(request: HttpRequest) -> HttpResponse:
    """Text a login code to the registered mobile (from the throttled page); then log in with it."""
    raw = request.POST.get("username", "")[:64]
    try:
        name = login_name(raw)
    except InvalidUSCC:
        name = raw.strip()
    try:
        throttle.send_login_code(login=name, ip=client_address(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _("If this account has a registered mobile number, a code was sent to it. "
                                 "Enter it below with your password."))
    request.session[_CODE_LOGIN] = name
    return redirect("accounts:login")


_RESET_LOGIN = "qinqing_reset_login"


def password_forgot(request: HttpRequest) -> HttpResponse:
    """Step 1 of a forgotten password: the login; a code goes to the registered mobile, if any."""
    errors: dict[str, list[str]] = {}
    login = request.POST.get("login", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            recovery.request_password_reset(login=login, ip=client_address(request))
        except DomainError as exc:
            errors = domain_error_messages(exc).fields or {"login": [str(exc.message)]}
        else:
            request.session[_RESET_LOGIN] = login.strip()[:64]
            messages.info(request, _("If this account has a registered mobile number, a code was sent to it. "
                                     "It is valid for %(minutes)d minutes.")
                          % {"minutes": int(recovery.CODE_TTL.total_seconds() // 60)})
            return redirect("accounts:password_reset")
    return render(request, "accounts/password_forgot.html", {"login": login, "errors": errors},
                  status=422 if errors else 200)


def password_reset(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS and a new password."""
    errors: dict[str, list[str]] = {}
    login = request.POST.get("login") or request.session.get(_RESET_LOGIN, "")
    if request.method == "POST":
        password = request.POST.get("password", "")
        if password != request.POST.get("password2", ""):
            errors = {"password2": [_("The two passwords differ.")]}
        else:
            try:
                recovery.reset_password(login=login, code=request.POST.get("code", ""), password=password)
            except DomainError as exc:
                errors = domain_error_messages(exc).fields or {"code": [str(exc.message)]}
            else:
                request.session.pop(_RESET_LOGIN, None)
                messages.success(request, _("Your password was changed: log in with the new one."))
                return redirect("accounts:login")
    return render(request, "accounts/password_reset.html", {"login": login, "errors": errors},
                  status=422 if errors else 200)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (staff and enterprises), giving the current one."""
    user = request_user(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new = request.POST.get("password", "")
        if new != request.POST.get("password2", ""):
            errors = {"password2": [_("The two passwords differ.")]}
        else:
            try:
                recovery.change_password(user=user, old_password=request.POST.get("old_password", ""),
                                         new_password=new)
            except DomainError as exc:
                errors = domain_error_messages(exc).fields
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password was changed."))
                return redirect(landing_url(user))
    return render(request, "accounts/password_change.html", {"errors": errors}, status=422 if errors else 200)
