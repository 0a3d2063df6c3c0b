"""/api/v1/cockpit, /api/v1/enterprises/{uscc}/portrait and /api/v1/visits."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cockpit"])
