"""Refusals of the service desk; each maps to one HTTP status through `core.errors`."""

from __future__ import annotations

from qinqing.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


class DeskInvalid(ValidationFailed):
    code = "desk_invalid"


class NotDeskStaff(Forbidden):
    code = "not_desk_staff"


class NotYours(Forbidden):
    code = "not_yours"


class WrongState(Conflict):
    code = "wrong_state"


class AlreadyRated(Conflict):
    code = "already_rated"


class TooManyMessages(DomainError):
    status_code = 429
    code = "too_many_messages"


__all__ = ["AlreadyRated", "DeskInvalid", "NotDeskStaff", "NotFound", "NotYours", "TooManyMessages", "WrongState"]
