"""The service desk (亲清D小二): staff profiles, chats, work orders, SLA policies, hand-overs, ratings."""

from qinqing.servicedesk.models.desk import (
    SEAT_ROLES,
    Channel,
    Dedication,
    DeskProfile,
    DeskRole,
    Level,
    SlaPolicy,
)
from qinqing.servicedesk.models.records import (
    BAD_RATINGS,
    SUB_INDICATORS,
    Attachment,
    Escalation,
    Evaluation,
    Handover,
    Pause,
    Rating,
    Step,
    Subjected,
    _attachment_path,
)
from qinqing.servicedesk.models.threads import Conversation, DeskQuerySet, Message, Tracked, WorkOrder

__all__ = [
    "BAD_RATINGS", "SEAT_ROLES", "SUB_INDICATORS", "Attachment", "Channel", "Conversation", "Dedication",
    "DeskProfile", "DeskQuerySet", "DeskRole", "Escalation", "Evaluation", "Handover", "Level", "Message",
    "Pause", "Rating", "SlaPolicy", "Step", "Subjected", "Tracked", "WorkOrder", "_attachment_path",
]
