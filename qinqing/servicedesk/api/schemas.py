"""The service desk API's request and response shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class CitationOut(Schema):
    kind: str
    key: str
    title: str
    url: str


class DeskFileOut(Schema):
    """A file carried by a chat message; `url` downloads it through this API."""

    id: int
    name: str
    size: int
    content_type: str
    url: str


class MessageOut(Schema):
    seq: int
    author_kind: str
    author: str
    text: str
    citations: list[CitationOut]
    client_id: str
    created_at: str
    attachment: DeskFileOut | None = None


class DeskAttachmentOut(Schema):
    """A file of a chat or work order, checked by content at upload (type from the bytes, not the name)."""

    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    uploaded_by: Literal["enterprise", "staff"]
    created_at: dt.datetime
    seq: int | None = Field(None, description="The chat message that carries it (chats only).")
    client_id: str = ""
    url: str


class ConversationOut(Schema):
    id: int
    status: str
    enterprise: str
    owner: str
    assignee: str
    context_kind: str
    context_key: str
    due_at: dt.datetime | None
    last_seq: int
    in_service_hours: bool
    can_rate: bool
    messages: list[MessageOut]


class OpenIn(Schema):
    context_kind: Literal["", "matter", "case", "policy", "bundle"] = ""
    context_key: str = Field("", max_length=64)
    text: str = Field("", max_length=2000)


class TextIn(Schema):
    text: str = Field(..., max_length=4000)
    client_id: str = Field("", max_length=64)


class DeskStepOut(Schema):
    action: str
    note: str
    actor: str
    at: dt.datetime


class WorkOrderOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    stage: str
    title: str
    body: str
    owner: str
    assignee: str
    due_at: dt.datetime | None
    escalation: int
    resolution: str
    can_rate: bool
    steps: list[DeskStepOut]


class WorkOrderIn(Schema):
    kind: Literal["message", "appeal", "case"]
    title: str = Field(..., max_length=400)
    body: str = Field(..., max_length=4000)
    case_number: str = Field("", max_length=32)
    conversation: int | None = None


class HandoverIn(Schema):
    to: str = Field(..., max_length=150, description="Username of the receiving D小二.")
    reason: str = Field(..., max_length=500)


class HandoverOut(Schema):
    id: int
    status: str
    from_user: str
    to_user: str


class DeskDecisionIn(Schema):
    accept: bool


class ResolveIn(Schema):
    resolution: str = Field(..., max_length=4000)


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class EvaluationIn(Schema):
    conversation: int | None = None
    work_order: int | None = None
    level: Literal["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"]
    indicators: dict[str, int] = {}
    comment: str = Field("", max_length=1000)


class EvaluationOut(Schema):
    id: int
    level: str
    closure: int
    rectification: str | None
