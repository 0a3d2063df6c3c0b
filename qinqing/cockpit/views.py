"""The cockpit's pages: a node's drill-down page, its big screen (and the screen's refresh JSON), exports.

Every route reads its node through `queries.viewable_node`: an unknown code and a node outside the
viewer's region scope are both 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from qinqing.accounts.http import request_user
from qinqing.cockpit import board, exports, queries
from qinqing.core.errors import NotFound
from qinqing.regions.models import Region

SCREEN_REFRESH_SECONDS = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _node(request: HttpRequest, code: str) -> Region:
    try:
        return queries.viewable_node(request_user(request), code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """/cockpit/: the viewer's own node."""
    try:
        node = queries.home_node(request_user(request))
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return redirect("cockpit:node", code=node.code)


@login_required
def node_page(request: HttpRequest, code: str) -> HttpResponse:
    node = _node(request, code)
    try:
        root: Region | None = queries.home_node(request_user(request))
    except NotFound:
        root = None
    return render(request, "cockpit/node.html", board.page(node, viewer_root=root))


def _refresh_seconds(request: HttpRequest) -> int:
    """?refresh=N (5 to 600 seconds) for a wall that wants another pace; 30 s otherwise."""
    raw = request.GET.get("refresh", "")
    return min(max(int(raw), 5), 600) if raw.isdigit() and len(raw) < 5 else SCREEN_REFRESH_SECONDS


@login_required
def screen_page(request: HttpRequest, code: str) -> HttpResponse:
    node = _node(request, code)
    return render(request, "cockpit/screen.html", {"node": node, "data": board.screen(node),
                                                   "refresh": _refresh_seconds(request)})


@never_cache
@login_required
def screen_data(request: HttpRequest, code: str) -> HttpResponse:
    node = _node(request, code)
    return JsonResponse(board.screen(node), json_dumps_params={"ensure_ascii": False})


def _xlsx(node: Region, tables: tuple[str, ...], name: str) -> HttpResponse:
    response = HttpResponse(exports.workbook(node, tables), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cockpit-{node.code}-{name}-{stamp}.xlsx"'
    return response


@login_required
def export_all(request: HttpRequest, code: str) -> HttpResponse:
    return _xlsx(_node(request, code), exports.TABLES, "all")


@login_required
def export_table(request: HttpRequest, code: str, table: str) -> HttpResponse:
    node = _node(request, code)
    if table not in exports.TABLES:
        raise Http404(table)
    return _xlsx(node, (table,), table)
