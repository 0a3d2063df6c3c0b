"""Events the cases app sends so that higher apps (bundles) can react without being imported here."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the deciding transaction when a case reaches a closed status; argument: case.
case_closed = Signal()
