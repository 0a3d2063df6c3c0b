"""/api/v1/cockpit, /api/v1/enterprises/{uscc}/portrait and /api/v1/visits."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cockpit"])

# Visit tasks and the enterprise portrait (/api/v1/visits…, /api/v1/enterprises/{uscc}/portrait).
from qinqing.cockpit.visits_api import router as visits_router  # noqa: E402

router.add_router("", visits_router)

# The cockpit's figures: summary, time series, enterprise list, alert feed (figures_api.py).
from qinqing.cockpit.figures_api import router as figures_router  # noqa: E402

router.add_router("", figures_router)
