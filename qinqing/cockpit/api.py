"""/api/v1/cockpit, /api/v1/enterprises/{uscc}/portrait and /api/v1/visits."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cockpit"])

# The cockpit's figures: summary, time series, enterprise list, alert feed (figures_api.py).
from qinqing.cockpit.figures_api import router as figures_router  # noqa: E402

router.add_router("", figures_router)
