"""The enterprise's page of what government already holds on it (政府掌握的本企业数据)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qinqing.accounts.http import request_user
from qinqing.datahub.queries import labelled_holdings


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Every source holding records on the enterprise: department, as-of time and labelled values."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise PermissionDenied(_("Only an enterprise account has this page."))
    english = (get_language() or "").startswith("en")
    sources = labelled_holdings(user, user.enterprise.uscc, english=english)
    return render(request, "datahub/my_data.html", {"sources": sources, "enterprise": user.enterprise})
