"""Records of a service are chained at its end, per stream, or not at all; old records still verify."""

import pytest
from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.audit.chain import GENESIS, legacy_digest
from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, stream_of, verify_chain
from qinqing.audit.tests.support import as_table_owner
from qinqing.core import events
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def _head() -> int:
    return AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_records_of_a_service_are_chained_in_call_order_when_it_ends():
    region = Region.objects.first()
    start = _head()
    with events.atomic():
        for n in range(3):
            record_event(actor="system", action=f"test.step{n}", obj=region)
        assert _head() == start, "nothing is written before the block ends"
        with events.atomic():  # a nested service joins the outer one
            record_event(actor="system", action="test.nested", obj=region)
        assert _head() == start
    actions = list(AuditRecord.objects.filter(pk__gt=start).order_by("pk").values_list("action", flat=True))
    assert actions == ["test.step0", "test.step1", "test.step2", "test.nested"]
    assert verify_chain().ok


def test_a_failing_service_writes_no_audit_record():
    region = Region.objects.first()
    start = _head()
    with pytest.raises(RuntimeError), events.atomic():
        record_event(actor="system", action="test.lost", obj=region)
        raise RuntimeError("the service refused")
    assert _head() == start


def test_each_enterprise_has_its_own_chain_and_apps_theirs():
    first, second = Enterprise.objects.order_by("pk")[:2]
    region = Region.objects.first()
    with events.atomic():
        a = record_event(actor="system", action="test.a", obj=first)
        b = record_event(actor="system", action="test.b", obj=second)
        c = record_event(actor="system", action="test.c", obj=region)
        a2 = record_event(actor="system", action="test.a2", obj=first)
    assert {a.stream, b.stream, c.stream} == {f"enterprise:{first.pk}", f"enterprise:{second.pk}", "regions"}
    assert stream_of(first) == a.stream
    assert a2.seq == a.seq + 1 and a2.prev_hash == a.hash
    report = verify_chain()
    assert report.ok and report.streams >= 3


def test_a_forged_record_in_one_stream_is_reported_with_its_stream():
    first = Enterprise.objects.order_by("pk").first()
    with transaction.atomic():
        forged = record_event(actor="system", action="test.one", obj=first, after={"amount": "100.00"})
        record_event(actor="system", action="test.two", obj=first)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET after = %s WHERE id = %s", ['{"amount": "1.00"}', forged.pk])
    report = verify_chain()
    assert not report.ok and report.broken_at == forged.pk and report.stream == forged.stream


def test_records_of_the_single_chain_before_streams_still_verify():
    """A database upgraded from before streams keeps its records in the stream "" hashed as before."""
    start = AuditRecord.objects.filter(stream="").order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (start[0] + 1, start[1]) if start else (1, GENESIS)
    old = AuditRecord(at=timezone.now(), actor_label="system", action="test.legacy", object_type="regions.region",
                      object_id="1", stream="", seq=seq, prev_hash=prev)
    old.hash = legacy_digest(old)
    AuditRecord.objects.bulk_create([old])
    assert verify_chain().ok
