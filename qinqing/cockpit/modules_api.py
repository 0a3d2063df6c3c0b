"""GET /api/v1/cockpit/{region_code}/modules/{key}: a street module evaluated for a node (on the cockpit router)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.accounts.http import request_user
from qinqing.cockpit import queries
from qinqing.cockpit.api import router
from qinqing.cockpit.models import CockpitModule
from qinqing.cockpit.modules import evaluate
from qinqing.core.api import ErrorOut
from qinqing.core.errors import NotFound
from qinqing.regions.models import Region

ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 404: ErrorOut}


def module_for(node: Region, key: str) -> CockpitModule:
    """The module `key` of the node or of the nearest node above it that has one."""
    modules = list(CockpitModule.objects.for_node(node).select_related("region").filter(key=key[:48]))
    if not modules:
        raise NotFound(_("No module %(key)s on this node.") % {"key": key[:48]})
    return max(modules, key=lambda m: len(m.region.path))


@router.get("/cockpit/{region_code}/modules/{key}", response={200: dict[str, Any], **ERRORS},
            summary="A street module's figures for a node")
def module_figures(request: HttpRequest, region_code: str, key: str) -> dict[str, Any]:
    """A module (configuration stored as data) evaluated over the node's subtree: columns with units, rows, chart.

    The module must belong to the node or to a node above it; a node outside the caller's scope is 404.
    """
    node = queries.viewable_node(request_user(request), region_code[:24])
    return evaluate(module_for(node, key), node)
