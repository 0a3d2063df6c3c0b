"""The consumers' horizon on PostgreSQL: a transaction still running in this database holds events back,
one running in another database of the cluster does not (decision 0003)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from qinqing.core.events import read_after

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not ON_POSTGRES, reason="transaction ids and snapshots are PostgreSQL's")]


def _open_writer(dbname: str) -> Any:
    """A second session holding a transaction that has taken an id (as any writing transaction does)."""
    import psycopg

    params = connection.get_connection_params()
    params["dbname"] = dbname
    session = psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")})
    session.execute("BEGIN")
    session.execute("SELECT pg_current_xact_id()")
    return session


@pytest.fixture
def writer_elsewhere() -> Iterator[Any]:
    session = _open_writer("postgres")
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def writer_here() -> Iterator[Any]:
    session = _open_writer(connection.settings_dict["NAME"])
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def committed() -> Iterator[Any]:
    """Commit an event from a session of its own (a consumer never reads its own transaction's events)."""
    import psycopg

    from qinqing.core.models import OutboxEvent

    params = connection.get_connection_params()
    session = psycopg.connect(**{k: v for k, v in params.items() if k not in ("cursor_factory", "context")},
                              autocommit=True)
    table, written = OutboxEvent._meta.db_table, []

    def commit(n: int) -> str:
        uscc = f"91330108MA2{n:07d}"
        session.execute(
            f"INSERT INTO {table} (txid, name, version, payload, enterprise, region, occurred_at) "
            "VALUES (pg_current_xact_id()::text::bigint, 'enterprise.registered', 1, %s::jsonb, %s, '330108', now())",
            ['{"name": "边界企业"}', uscc])
        written.append(uscc)
        return uscc

    yield commit
    session.execute(f"DELETE FROM {table} WHERE enterprise = ANY(%s)", [written])
    session.close()


def _read(uscc: str) -> list[Any]:
    return [s for s in read_after(0, 0, limit=1_000_000) if s.event.enterprise == uscc]


def test_an_open_transaction_in_another_database_of_the_cluster_holds_no_event_back(writer_elsewhere, committed):
    uscc = committed(1)  # a later transaction id than the other database's open one
    assert len(_read(uscc)) == 1, "another database's transaction can never write to this outbox"


def test_an_open_transaction_in_this_database_still_holds_later_events_back(writer_here, committed):
    uscc = committed(2)
    assert _read(uscc) == [], "the open transaction may still commit an event with an earlier id"
    writer_here.rollback()
    assert len(_read(uscc)) == 1, "once it has ended, the event is read"
