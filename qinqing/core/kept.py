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

from django.db import connection
from django.db.models import F

from qinqing.core.models import KeptVersion

Version = tuple[int, int]  # (number, stamp); (0, 0) before the first change
NEVER: Version = (0, 0)

# The versions read in the current request; None outside a request.
_memo: contextvars.ContextVar[dict[str, dict[str, Version]] | None] = contextvars.ContextVar(
    "qinqing_kept_versions", default=None)


@contextlib.contextmanager
def request_memo() -> Iterator[None]:
    """Read the versions at most once until the block ends (one HTTP request)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def versions() -> dict[str, Version]:
    """Every kept copy's current version, as the database holds it (memoised for the current request)."""
    memo = _memo.get()
    if memo is not None and "all" in memo:
        return memo["all"]
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
