"""Case statuses and the one table of allowed transitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


TRANSITIONS: dict[str, set[str]] = {
    Status.SUBMITTED: {Status.UNDER_REVIEW, Status.APPROVED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED,
                       Status.WITHDRAWN},
    Status.UNDER_REVIEW: {Status.APPROVED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWN},
    Status.SUPPLEMENT_REQUESTED: {Status.UNDER_REVIEW, Status.WITHDRAWN},
    Status.APPROVED: set(),
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
}

OPEN_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.SUPPLEMENT_REQUESTED)
QUEUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)
CLOSED_STATUSES = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN)


def can_transition(current: str, target: str) -> bool:
    """Tell whether `target` may follow `current`."""
    return target in TRANSITIONS.get(current, set())


ACTION_LABELS = {
    "submitted": _("Application submitted"),
    "approved_automatically": _("Approved automatically (秒办)"),
    "referred": _("Referred to the department for review"),
    "approved": _("Approved"),
    "rejected": _("Not approved"),
    "supplement_requested": _("Supplement requested"),
    "supplemented": _("Supplement submitted"),
    "materials_added": _("Materials added"),
    "withdrawn": _("Withdrawn by the applicant"),
    "licence_issued": _("E-licence issued"),
}


def action_label(action: str) -> str:
    """The translated name of a timeline action."""
    return str(ACTION_LABELS.get(action, action))
