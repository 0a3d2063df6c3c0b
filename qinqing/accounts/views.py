from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from qinqing.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


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
