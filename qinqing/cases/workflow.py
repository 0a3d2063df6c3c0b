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
    # A child case of a bundle (一件事):
    WAITING = "waiting", _("Waiting for earlier steps")
    PREPARING = "preparing", _("Being prepared by the agent")
    CANCELLED = "cancelled", _("Not started")
    # The parent case of a bundle:
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed, not every step approved")


TRANSITIONS: dict[str, set[str]] = {
    Status.SUBMITTED: {Status.UNDER_REVIEW, Status.APPROVED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED,
                       Status.WITHDRAWN},
    Status.UNDER_REVIEW: {Status.APPROVED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWN},
    Status.SUPPLEMENT_REQUESTED: {Status.UNDER_REVIEW, Status.WITHDRAWN},
    Status.APPROVED: set(),
    Status.REJECTED: set(),
    Status.WITHDRAWN: set(),
    # Child cases: wait for their prerequisites, then start by themselves or through the agent.
    Status.WAITING: {Status.SUBMITTED, Status.PREPARING, Status.CANCELLED},
    Status.PREPARING: {Status.SUBMITTED, Status.CANCELLED},
    Status.CANCELLED: set(),
    # Parent cases close when every child has closed.
    Status.IN_PROGRESS: {Status.COMPLETED, Status.CLOSED, Status.WITHDRAWN},
    Status.COMPLETED: set(),
    Status.CLOSED: set(),
}

OPEN_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.SUPPLEMENT_REQUESTED, Status.WAITING,
                 Status.PREPARING, Status.IN_PROGRESS)
QUEUE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)
CLOSED_STATUSES = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED, Status.COMPLETED,
                   Status.CLOSED)
# Statuses in which a case's deadline clock runs.
CLOCK_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)


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
    "bundle_submitted": _("一件事 application submitted"),
    "waiting": _("Waiting for earlier steps"),
    "started": _("Started: earlier steps approved"),
    "prepared": _("Prepared and submitted by the agent"),
    "handed_to_agent": _("Handed to the agent to prepare"),
    "cancelled": _("Not started: an earlier step was not approved"),
    "completed": _("Every step approved"),
    "closed": _("Closed"),
    "materials_from_data": _("Materials supplied from shared data"),
    "employees_enrolled": _("Employees enrolled from a roster"),
}


def action_label(action: str) -> str:
    """The translated name of a timeline action."""
    return str(ACTION_LABELS.get(action, action))
