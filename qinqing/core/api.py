"""Shared API pieces: the error body every endpoint documents, the idempotency key header."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from ninja.params.functions import Header

# A submission's `Idempotency-Key` header: the same key replays the first answer.
IdempotencyKey = Annotated[str, Header(..., alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"\S")]


class ExistingOut(Schema):
    """The application a refused duplicate points to (409 `duplicate_application`)."""

    id: int
    number: str
    url: str
    title: str = ""
    status: str = ""


class ErrorOut(Schema):
    code: str
    detail: str
    errors: dict[str, list[str]] = {}
    existing: ExistingOut | None = None
