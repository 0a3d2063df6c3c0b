"""The cockpit's refusals; each maps to one HTTP status in `qinqing/api.py`."""

from __future__ import annotations

from qinqing.core.errors import Conflict, ValidationFailed


class VisitInvalid(ValidationFailed):
    """A visit or its record with bad fields (422, per field)."""

    code = "visit_invalid"


class VisitConflict(Conflict):
    """A visit that cannot take this step now (closed already, one already open)."""

    code = "visit_conflict"
