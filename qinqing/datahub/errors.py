"""Refusals of the data hub, each mapped to HTTP in qinqing/api.py."""

from __future__ import annotations

from typing import Any, TypedDict

from django.utils.translation import ngettext

from qinqing.core.errors import DomainError, Forbidden, NotFound, ValidationFailed


class RowError(TypedDict):
    """One problem of an import: the 1-based line (CSV header = 1; JSON record n = n), field, reason."""

    line: int
    field: str
    reason: str


class ImportRejected(ValidationFailed):
    """Some rows are bad, so nothing was written; `errors` lists every (line, field, reason).

    Over HTTP the errors take the API's usual shape, keyed "<line>.<field>" (e.g. "2.uscc"; a
    problem of a whole line is keyed "<line>", of the whole body "__all__").
    """

    status_code = 400
    code = "import_rejected"
    errors: list[RowError]  # type: ignore[assignment]

    def __init__(self, message: Any, *, errors: list[RowError]) -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def listing(cls, errors: list[RowError], total: int | None = None) -> ImportRejected:
        """The refusal for these errors; `total` counts those left out of a capped list."""
        count = total if total is not None else len(errors)
        message = ngettext(
            "Nothing was imported: %(n)d error found.", "Nothing was imported: %(n)d errors found.", count,
        ) % {"n": count}
        return cls(message, errors=errors)

    def as_dict(self) -> dict[str, Any]:
        by_place: dict[str, list[str]] = {}
        for error in self.errors:
            place = str(error["line"]) if error["line"] else "__all__"
            if error["field"]:
                place = f"{place}.{error['field']}"
            by_place.setdefault(place, []).append(str(error["reason"]))
        return {"code": self.code, "detail": str(self.message), "errors": by_place}


class UnknownSource(NotFound):
    code = "unknown_source"


class ImportForbidden(Forbidden):
    code = "data_importer_only"


class PlatformSource(ImportForbidden):
    """The source is written only by the platform's own service (the e-licences): never imported."""

    code = "platform_source"


class BodyTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"
