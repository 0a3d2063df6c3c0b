"""Helpers for tests that play a database administrator rewriting the audit table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection


@contextlib.contextmanager
def as_table_owner() -> Iterator[Any]:
    """A cursor of a database superuser: on PostgreSQL they can switch the append-only trigger off.

    (`session_replication_role = replica` skips ordinary triggers; so would `ALTER TABLE … DISABLE
    TRIGGER` by the table's owner.)
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = origin")
