"""A database administrator rewriting the audit table is caught by `verifyaudit`: the five tamperings and more."""

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.chain import GENESIS, legacy_digest
from qinqing.audit.checkpoints import write_checkpoint
from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, verify_chain
from qinqing.audit.tests.support import as_table_owner
from qinqing.core import events

pytestmark = pytest.mark.django_db


def _write(n: int = 5) -> list[AuditRecord]:
    """`n` records in one enterprise's stream, each its own service, by a real user."""
    enterprise = Enterprise.objects.order_by("pk").first()
    actor = User.objects.order_by("pk").first()
    records = []
    for i in range(n):
        with events.atomic():
            records.append(record_event(actor=actor, action=f"test.step{i}", obj=enterprise,
                                        after={"amount": f"{i}00.00", "名称": "杭州某某科技有限公司"}))
    return [AuditRecord.objects.get(pk=r.pk) for r in records]


def _assert_caught(fragment: str, broken_at: int | None = None) -> None:
    report = verify_chain()
    assert not report.ok
    assert fragment in report.reason, report
    if broken_at is not None:
        assert report.broken_at == broken_at
    with pytest.raises(CommandError):
        call_command("verifyaudit")


def _rechain_unkeyed(records: list[AuditRecord], cursor, *, keep_key_id: bool) -> None:
    """What a DBA does who knows the algorithm but not the key: recompute every hash from the first changed one."""
    prev = records[0].prev_hash
    for record in records:
        record.refresh_from_db()
        record.prev_hash = prev
        if not keep_key_id:
            record.key_id = ""
        record.hash = legacy_digest(record)
        cursor.execute("UPDATE audit_auditrecord SET prev_hash = %s, key_id = %s, hash = %s WHERE id = %s",
                       [record.prev_hash, record.key_id, record.hash, record.pk])
        prev = record.hash


def test_an_untouched_trail_verifies_with_and_without_checkpoints():
    _write()
    assert verify_chain().ok
    write_checkpoint()
    _write(2)
    report = verify_chain()
    assert report.ok and report.checkpoints == 1 and report.unsealed == 0
    call_command("verifyaudit")


def test_every_record_is_sealed_with_the_current_key_over_every_column():
    records = _write(1)
    assert len(records[0].key_id) == 16
    assert len(records[0].hash) == 64 and records[0].hash != legacy_digest(records[0])


def test_1_an_edited_row_is_caught():
    records = _write()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET after = %s WHERE id = %s", ['{"amount": "1.00"}', records[2].pk])
    _assert_caught("keyed hash", records[2].pk)


def test_2_an_edited_row_with_the_following_hashes_recomputed_is_caught():
    records = _write()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.forged", records[2].pk])
        _rechain_unkeyed(records[2:], cursor, keep_key_id=True)
    _assert_caught("keyed hash", records[2].pk)


def test_2_recomputed_hashes_passed_off_as_records_from_before_keying_are_caught():
    records = _write()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.forged", records[2].pk])
        _rechain_unkeyed(records[2:], cursor, keep_key_id=False)
    _assert_caught("unkeyed record after keyed records", records[2].pk)


def test_2_a_whole_stream_rewritten_as_records_from_before_keying_is_caught_once_checkpointed():
    write_checkpoint()  # the first checkpoint: no unkeyed record may appear after it
    records = _write()
    stream = AuditRecord.objects.filter(stream=records[0].stream).order_by("seq")
    with as_table_owner() as cursor:
        _rechain_unkeyed(list(stream), cursor, keep_key_id=False)
    _assert_caught("")


def test_2_hashes_recomputed_with_a_guessed_key_are_caught():
    import hashlib
    import hmac

    from django.conf import settings

    from qinqing.audit.chain import canonical

    records = _write()
    with as_table_owner() as cursor:
        record = records[-1]
        record.action = "test.forged"
        guessed = settings.SECRET_KEY.encode()
        cursor.execute("UPDATE audit_auditrecord SET action = %s, hash = %s WHERE id = %s",
                       [record.action, hmac.new(guessed, canonical(record), hashlib.sha256).hexdigest(), record.pk])
    _assert_caught("keyed hash", record.pk)


def test_3_the_newest_rows_deleted_after_a_checkpoint_are_caught():
    records = _write()
    write_checkpoint()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id IN (%s, %s)", [records[-1].pk, records[-2].pk])
    _assert_caught("newest records were deleted")


def test_3_a_whole_checkpointed_stream_deleted_is_caught():
    records = _write()
    write_checkpoint()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE stream = %s", [records[0].stream])
    report = verify_chain()
    assert not report.ok and report.stream == records[0].stream, report


def test_3_a_newest_row_replaced_by_another_of_the_same_seq_is_caught():
    records = _write()
    write_checkpoint()
    last = records[-1]
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET object_id = %s WHERE id = %s", ["999", last.pk])
    _assert_caught("keyed hash", last.pk)


def test_4_a_changed_actor_id_is_caught_though_the_actor_label_is_kept():
    records = _write()
    other = User.objects.exclude(pk=records[1].actor_id).order_by("pk").first()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET actor_id = %s WHERE id = %s", [other.pk, records[1].pk])
    _assert_caught("keyed hash", records[1].pk)


@pytest.mark.parametrize("column,value", [
    ("at", "2020-01-01 00:00:00"), ("stream", "regions"), ("acting_for", "someone"), ("rule_set_version", "v9"),
    ("object_type", "cases.case"), ("before", '{"x": 1}'), ("actor_label", "admin"),
])
def test_every_other_column_is_covered_by_the_keyed_hash(column, value):
    records = _write(2)
    with as_table_owner() as cursor:
        cursor.execute(f"UPDATE audit_auditrecord SET {column} = %s WHERE id = %s", [value, records[0].pk])
    assert not verify_chain().ok


def test_5_a_deleted_middle_row_is_caught():
    records = _write()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [records[2].pk])
    _assert_caught("gap in sequence", records[3].pk)


def test_5_a_deleted_middle_row_with_the_rest_renumbered_is_caught():
    records = _write()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [records[2].pk])
        for record in records[3:]:
            cursor.execute("UPDATE audit_auditrecord SET seq = seq - 1 WHERE id = %s", [record.pk])
    _assert_caught("previous hash", records[3].pk)


def test_5_two_rows_swapped_are_caught():
    records = _write()
    a, b = records[1], records[2]
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET seq = -1 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE audit_auditrecord SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = verify_chain()
    assert not report.ok and report.broken_at == b.pk, report


def test_a_forged_record_appended_without_the_key_is_caught():
    records = _write(2)
    last = records[-1]
    forged = AuditRecord(stream=last.stream, seq=last.seq + 1, prev_hash=last.hash, at=last.at, actor_label="system",
                         action="test.forged", object_type=last.object_type, object_id=last.object_id)
    forged.hash = legacy_digest(forged)
    AuditRecord.objects.bulk_create([forged])
    _assert_caught("unkeyed record after keyed records")
    forged_keyed = AuditRecord.objects.get(stream=last.stream, seq=last.seq + 1)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET key_id = %s WHERE id = %s", [last.key_id, forged_keyed.pk])
    _assert_caught("keyed hash")


def test_a_record_sealed_with_a_key_nobody_holds_is_caught():
    records = _write(2)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET key_id = %s WHERE id = %s", ["0123456789abcdef", records[1].pk])
    _assert_caught("unknown key", records[1].pk)


def test_records_written_before_keying_verify_and_are_sealed_by_the_first_checkpoint():
    head = AuditRecord.objects.filter(stream="legacy-test").order_by("-seq").first()
    assert head is None
    old = [AuditRecord(at=f"2026-11-0{i + 1}T00:00:00+00:00", actor_label="system", action="test.legacy",
                       object_type="regions.region", object_id="1", stream="legacy-test", seq=i + 1)
           for i in range(3)]
    prev = GENESIS
    for record in old:
        from django.utils.dateparse import parse_datetime

        record.at = parse_datetime(record.at)
        record.prev_hash = prev
        record.hash = prev = legacy_digest(record)
    AuditRecord.objects.bulk_create(old)
    report = verify_chain()
    assert report.ok and report.unsealed == 3
    write_checkpoint()
    report = verify_chain()
    assert report.ok and report.unsealed == 0
    # after the seal, an unkeyed record more is a forgery, and so is an edited old one
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE stream = %s AND seq = 1",
                       ["test.forged", "legacy-test"])
        first = AuditRecord.objects.get(stream="legacy-test", seq=1)
        _rechain_unkeyed(list(AuditRecord.objects.filter(stream="legacy-test").order_by("seq")), cursor,
                         keep_key_id=False)
        assert first.pk
    _assert_caught("checkpoint holds")


def test_the_application_cannot_update_or_delete_records_through_the_orm():
    record = _write(1)[0]
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=record.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=record.pk).delete()


def test_a_stream_from_before_keying_continues_keyed_and_its_old_records_are_then_sealed():
    from django.utils import timezone

    from qinqing.audit.keys import keyring
    from qinqing.audit.services import _chain

    prev, old = GENESIS, []
    for i in range(3):
        record = AuditRecord(at=timezone.now(), actor_label="system", action="test.legacy", object_type="regions.region",
                             object_id="1", stream="legacy-then-keyed", seq=i + 1, prev_hash=prev)
        record.hash = prev = legacy_digest(record)
        old.append(record)
    AuditRecord.objects.bulk_create(old)
    from django.db import transaction

    with transaction.atomic():
        _chain([AuditRecord(at=timezone.now(), actor_label="system", action="test.keyed", object_type="regions.region",
                            object_id="1", stream="legacy-then-keyed")])
    keyed = AuditRecord.objects.get(stream="legacy-then-keyed", seq=4)
    assert keyed.key_id == keyring().current and keyed.prev_hash == old[-1].hash
    assert verify_chain().ok
    with as_table_owner() as cursor:  # rewriting the old records, recomputing their unkeyed hashes
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE stream = %s AND seq = 1",
                       ["test.forged", "legacy-then-keyed"])
        _rechain_unkeyed(list(AuditRecord.objects.filter(stream="legacy-then-keyed", seq__lte=3).order_by("seq")),
                         cursor, keep_key_id=False)
    _assert_caught("previous hash", keyed.pk)
