"""Copies each process keeps in memory (the catalog, the data sources), checked against one version row each.

A kept copy (`catalog.cache`, `datahub.sources`) asks `version(name)` before each use and reloads when
the answer differs from the version it was loaded at. Every change to what it copies calls
`bump(name)` in the changing transaction, so a process sees the change at its first use after the
commit. All names are read with one SELECT, at most once per HTTP request (`RequestIdMiddleware`
opens the request's memo): the catalog and the sources a 秒办 decision uses cost one statement
together. Outside a request (commands, tasks, tests calling services directly) every call reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import F

from qinqing.core.models import KeptVersion

Version = tuple[int, int]  # (number, stamp); (0, 0) before the first change
NEVER: Version = (0, 0)

# The versions read in the current request; None outside a request.
_memo: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "qinqing_kept_versions", default=None)


@contextlib.contextmanager
def request_memo() -> Iterator[None]:
    """Read the versions at most once until the block ends (one HTTP request)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def versions_column() -> str:
    """A scalar subquery of every version as one text, for a request's first statement to carry along.

    The bearer-token lookup selects it, so a request that then uses a kept copy needs no statement of its own
    for the versions (`prime` hands the text to the request's memo; it is parsed only if asked for).
    """
    table = connection.ops.quote_name(KeptVersion._meta.db_table)
    if connection.vendor == "postgresql":
        joined = "string_agg(name || ' ' || number || ' ' || stamp, ' ')"
    else:
        joined = "group_concat(name || ' ' || number || ' ' || stamp, ' ')"
    return f"(SELECT coalesce({joined}, '') FROM {table})"  # noqa: S608 - our names


def prime(text: str | None) -> None:
    """Keep the versions a request's first statement read (`versions_column`) for the rest of the request."""
    memo = _memo.get()
    if memo is not None and "all" not in memo and text is not None:
        memo["text"] = text


def _parsed(text: str) -> dict[str, Version]:
    words = text.split()
    return {words[i]: (int(words[i + 1]), int(words[i + 2])) for i in range(0, len(words) - 2, 3)}


def versions() -> dict[str, Version]:
    """Every kept copy's current version, as the database holds it (memoised for the current request)."""
    memo = _memo.get()
    if memo is not None and "all" in memo:
        return memo["all"]  # type: ignore[no-any-return]
    if memo is not None and "text" in memo:
        parsed = memo["all"] = _parsed(memo.pop("text"))
        return parsed
    table = connection.ops.quote_name(KeptVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, number, stamp FROM {table}")  # noqa: S608
        found = {str(name): (int(number), int(stamp)) for name, number, stamp in cursor.fetchall()}
    if memo is not None:
        memo["all"] = found
    return found


def version(name: str) -> Version:
    """The current version of one kept copy."""
    return versions().get(name, NEVER)


def bump(name: str) -> None:
    """Tell every process that `name` changed (inside the caller's transaction, when there is one)."""
    stamp = secrets.randbits(62)
    if not KeptVersion.objects.filter(name=name).update(number=F("number") + 1, stamp=stamp):
        KeptVersion.objects.get_or_create(name=name, defaults={"number": 1, "stamp": stamp})
    memo = _memo.get()
    if memo is not None:
        memo.pop("all", None)  # this request reads the new version at its next use
        memo.pop("text", None)
