"""Writers of one stream queue on its lock and each chains onto the head the previous one committed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from qinqing.audit.models import AuditRecord
from qinqing.audit.services import _LOCK_CLASS, _stream_key, record_event, stream_of, verify_chain
from qinqing.core import events
from qinqing.regions.models import Region


def test_writers_waiting_on_a_streams_lock_each_read_the_head_committed_before_them(demo_city_restored, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    region = Region.objects.order_by("pk").first()
    stream = stream_of(region)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with events.atomic():
                record_event(actor="system", action=f"test.waiter{n}", obj=region)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    before = AuditRecord.objects.filter(stream=stream).count()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    with events.atomic():
        record_event(actor="system", action="test.holder", obj=region)
        with connection.cursor() as cursor:  # hold the stream's lock while the writers start and queue on it
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, _stream_key(stream)])
        for thread in threads:
            thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    seqs = list(AuditRecord.objects.filter(stream=stream).order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == before + 5 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert verify_chain().ok
