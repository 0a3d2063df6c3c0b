"""The live-token lookup of every API request, its SQL composed once per process.

`ApiToken.objects.select_related("user", "user__enterprise", "user__enterprise__region",
"user__department").filter(...).first()` costs the ORM a fresh compile of a five-table join on every
request (about a sixth of a 秒办 decision's time). The statement never changes, so it is composed once
from the models' own columns; each row's values go through the same database converters the ORM applies
and become model instances by `Model.from_db`, with the related objects cached as `select_related` caches
them (None for a missing optional row).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db import connection
from django.db.models import ForeignKey, Model

from qinqing.accounts.models import ApiToken, Department, Enterprise, User
from qinqing.core import kept
from qinqing.core.events import together
from qinqing.regions.models import Region

# (model, index of the row it hangs from, the foreign key's name there, inner join)
_PATH: tuple[tuple[type[Model], int, str, bool], ...] = (
    (User, 0, "user", True),
    (Enterprise, 1, "enterprise", False),
    (Region, 2, "region", False),
    (Department, 1, "department", False),
)
_MODELS: tuple[type[Model], ...] = (ApiToken, *(model for model, *_ in _PATH))

_lock = threading.Lock()
_composed: dict[str, Any] = {}


def _compose() -> tuple[str, list[list[tuple[str, list[Any], Any]]]]:
    """The statement and, per model, (attname, converters, column expression) of each selected column."""
    key = connection.vendor
    with _lock:
        found = _composed.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    aliases = [f"t{i}" for i in range(len(_MODELS))]
    selected, layout = [], []
    for alias, model in zip(aliases, _MODELS, strict=True):
        columns = []
        for field in model._meta.concrete_fields:
            col = field.get_col(alias)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            columns.append((field.attname, converters, col))
            selected.append(f"{alias}.{qn(field.column)}")
        layout.append(columns)
    joins = []
    for index, (model, parent, name, inner) in enumerate(_PATH, start=1):
        fk = _MODELS[parent]._meta.get_field(name)
        assert isinstance(fk, ForeignKey)
        joins.append(f"{'INNER' if inner else 'LEFT OUTER'} JOIN {qn(model._meta.db_table)} {aliases[index]} "
                     f"ON {aliases[index]}.{qn(model._meta.pk.column)} = {aliases[parent]}.{qn(fk.column)}")
    token = ApiToken._meta
    selected.append(kept.versions_column())  # the kept copies' versions ride along (no statement of their own)
    sql = (f"SELECT {', '.join(selected)} FROM {qn(token.db_table)} t0 {' '.join(joins)} "  # noqa: S608
           f"WHERE t0.{qn(token.get_field('key_hash').column)} = %s "
           f"AND t0.{qn(token.get_field('expires_at').column)} > %s "
           f"AND t0.{qn(token.get_field('revoked_at').column)} IS NULL "
           f"ORDER BY t0.{qn(token.pk.column)} LIMIT 1")
    found = (sql, layout)
    with _lock:
        _composed[key] = found
    return found


def live_token(key_hash: str, now: dt.datetime) -> ApiToken | None:
    """The unexpired, unrevoked token with this hash, its user, enterprise, region and department loaded."""
    sql, layout = _compose()
    params = [key_hash, connection.ops.adapt_datetimefield_value(now)]
    # Prepared once per connection on PostgreSQL (planning a five-table join cost more than running it).
    rows = together.prepared_read(sql, params)
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    row = rows[0] if rows else None
    if row is None:
        return None
    kept.prime(row[-1])
    objects: list[Model | None] = []
    start = 0
    for model, columns in zip(_MODELS, layout, strict=True):
        values = []
        for offset, (_attname, converters, col) in enumerate(columns):
            value = row[start + offset]
            for converter in converters:
                value = converter(value, col, connection)
            values.append(value)
        start += len(columns)
        pk_index = next(i for i, (attname, *_rest) in enumerate(columns) if attname == model._meta.pk.attname)
        objects.append(None if values[pk_index] is None else
                       model.from_db(connection.alias, [attname for attname, *_rest in columns], values))
    token = objects[0]
    assert isinstance(token, ApiToken)
    for index, (_model, parent, name, _inner) in enumerate(_PATH, start=1):
        holder = objects[parent]
        if holder is not None:
            holder._meta.get_field(name).set_cached_value(holder, objects[index])  # type: ignore[union-attr]
    return token
