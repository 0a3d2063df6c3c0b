"""Keyset (cursor) pagination: stable under inserts, as fast on page 10,000 as on page 1.

A page is read with `WHERE (k1, id) > (last k1, last id)` in the list's own order instead of `OFFSET`, so
a case inserted while someone pages is neither shown twice nor skipped, and the database walks an index
from where the last page ended. The cursor names the last row's ordering values; it is opaque to
clients (base64 of JSON) but carries nothing secret: every page is read through the caller's scope.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from qinqing.core.errors import DomainError

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadCursor(DomainError):
    status_code = 422
    code = "bad_cursor"


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        values: list[Any] = []
        for value, kind in zip(raw, kinds, strict=True):
            if kind is dt.datetime:
                parsed = dt.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
                values.append(parsed)
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
                values.append(value)
            else:
                values.append(str(value))
        return values
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCursor(_("This page link is not valid: start again from the first page."),
                        errors={"cursor": [_("Not a valid page cursor.")]}) from exc


def _after(ordering: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (each field ascending, or descending with a leading -)."""
    # The OR below names each step; the first field's bound (≤ or ≥ its last value), implied by it, is what
    # lets the database start its index range scan at the cursor instead of filtering from the first row.
    first = ordering[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    condition = Q()
    for i, field in enumerate(ordering):
        name = field.lstrip("-")
        step = Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[i]})
        for earlier, value in zip(ordering[:i], values[:i], strict=True):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return bound & condition


def keyset_page(queryset: QuerySet[M], *, ordering: Sequence[str], kinds: Sequence[type], cursor: str = "",
                limit: int = DEFAULT_LIMIT) -> Page[M]:
    """One page of `queryset` in `ordering` (the last field unique, e.g. `id`), after `cursor`."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    queryset = queryset.order_by(*ordering)
    if cursor:
        queryset = queryset.filter(_after(ordering, _decode(cursor, kinds)))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], _encode([getattr(last, f.lstrip("-")) for f in ordering]))
