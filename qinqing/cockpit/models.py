"""亲清驾驶舱: the cockpit's own read models, alert rules and alerts, visit tasks and street modules."""

from __future__ import annotations
