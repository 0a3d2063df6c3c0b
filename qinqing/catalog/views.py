from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from qinqing.catalog.models import Board
from qinqing.catalog.queries import base_matters, public_conditions, search_matters


def search(request: HttpRequest) -> HttpResponse:
    """Search the catalog in Chinese (or English), optionally within one board."""
    q = request.GET.get("q", "")[:100]
    board = request.GET.get("board", "")[:32]
    matters = search_matters(q, board)
    return render(request, "catalog/search.html", {
        "matters": matters, "q": q, "board": board, "boards": Board.objects.all(),
    })


def guide(request: HttpRequest, code: str) -> HttpResponse:
    """A matter's 办事指南: department, basis, limits, fee, materials, automatic-decision conditions."""
    matter = get_object_or_404(
        base_matters().select_related("rule_set").prefetch_related("materials", "fields"), code=code
    )
    return render(request, "catalog/guide.html", {"matter": matter, "conditions": public_conditions(matter)})
