from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
    return render(request, "accounts/locked.html", status=429)
