"""Query helpers every app may use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Field, Model, Q, QuerySet
from django.db.models.expressions import RawSQL


def among_q(model: type[Model], field: str, values: Sequence[Any]) -> Q:
    """`field IN values` as a condition; on PostgreSQL as `= ANY(array)`: one parameter, compiled and bound once.

    Django compiles `field__in` one placeholder per value (about 6 µs each: 22 ms for the 3,500 case ids of a
    busy day's number prefix) and the driver scans them all again; an array is one value whatever its length.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(values)})
    meta = model._meta
    target = meta.get_field(field)
    assert isinstance(target, Field) and target.column, f"{field} is not a column of {meta.label}"
    column = f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(target.column)}"
    return Q(RawSQL(f"{column} = ANY(%s)", (list(values),), output_field=BooleanField()))  # noqa: S611


def among(rows: QuerySet[Any], field: str, values: Sequence[Any]) -> QuerySet[Any]:
    """`rows` whose `field` is one of `values` (see `among_q`)."""
    return rows.filter(among_q(rows.model, field, values))
