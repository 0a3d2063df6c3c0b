
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.views import landing_url
from qinqing.bundles.queries import bundle_summary, online_bundles
from qinqing.cases.queries import enterprise_desk, platform_stats
from qinqing.cases.uploads import ACCEPTED_LABEL
from qinqing.catalog.models import Board
from qinqing.notifications.models import Notification
from qinqing.notifications.services import mark_read


def home(request: HttpRequest) -> HttpResponse:
    """The six boards and the platform's live headline counters."""
    boards = Board.objects.annotate(
        online=Count("matters", filter=Q(matters__active=True)),
        automatic=Count("matters", filter=Q(matters__active=True, matters__automatic=True)),
    ).order_by("order")
    bundles = [bundle_summary(b) for b in online_bundles()]
    return render(request, "web/home.html", {"boards": boards, "stats": platform_stats(), "bundles": bundles})


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """我的办事: an enterprise's own desk; every other user goes to theirs."""
    user = request_user(request)
    if not user.is_enterprise:
        return redirect(landing_url(user))
    notes = Notification.objects.visible_to(user).filter(read_at__isnull=True)[:10]
    return render(request, "web/desk.html", {**enterprise_desk(user), "notes": notes,
                                             "accepted": ACCEPTED_LABEL})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.visible_to(request_user(request))[:200]
    return render(request, "web/inbox.html", {"notes": notes})


@login_required
@require_POST
def read_notification(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Notification.objects.visible_to(request_user(request)), pk=pk)
    mark_read(notification=note)
    target: str = note.link or "web:inbox"
    return redirect(target)


def password_help_url() -> str:
    """The forgotten-password page when the platform has one, else ""."""
    try:
        return reverse("accounts:password_reset")
    except NoReverseMatch:
        return ""


def help_page(request: HttpRequest) -> HttpResponse:
    """How to log in, what to do when locked out or stuck, and whom to contact."""
    return render(request, "web/help.html", {
        "failure_limit": settings.QINQING_LOGIN_FAILURE_LIMIT,
        "password_reset_url": password_help_url(),
        "service_hours": settings.QINQING_SERVICE_HOURS,
    })


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: the site's look without the database or a request context (no traceback)."""
    return HttpResponseServerError(loader.get_template("500.html").render({}))
