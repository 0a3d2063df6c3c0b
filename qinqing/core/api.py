"""Shared API pieces: the error body every endpoint documents."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    code: str
    detail: str
    errors: dict[str, list[str]] = {}
