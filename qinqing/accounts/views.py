from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from qinqing.accounts import recovery
from qinqing.accounts.forms import LoginForm
from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.core.errors import DomainError
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


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Without a `next`, land on the user's own desk."""
        user = self.request.user
        if isinstance(user, User) and user.is_authenticated:
            return landing_url(user)
        return super().get_default_redirect_url()


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """Answer a locked-out login: JSON for API clients, the locked page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "locked_out", "detail": str(_("Too many failed attempts; try again later.")), "errors": {}},
            status=429,
        )
    try:
        reset_url = reverse("accounts:password_reset")
    except NoReverseMatch:
        reset_url = ""
    return render(request, "accounts/locked.html", {
        "lockout_minutes": round(float(settings.AXES_COOLOFF_TIME) * 60), "password_reset_url": reset_url,
    }, status=429)


def client_address(request: HttpRequest) -> str | None:
    """The caller's address as axes sees it (REMOTE_ADDR behind the configured proxies)."""
    from axes.helpers import get_client_ip_address

    address: str | None = get_client_ip_address(request)
    return address


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
