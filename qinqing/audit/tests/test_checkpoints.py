"""Checkpoints anchor every stream's head outside the database; the export keeps what they cover."""

import json

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import Enterprise
from qinqing.audit.checkpoints import CheckpointError, checkpoint_file, write_checkpoint
from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, verify_chain
from qinqing.audit.tests.support import as_table_owner
from qinqing.core import events

pytestmark = pytest.mark.django_db


def _write(n: int, index: int = 0) -> list[AuditRecord]:
    enterprise = Enterprise.objects.order_by("pk")[index]
    out = []
    for i in range(n):
        with events.atomic():
            out.append(record_event(actor="system", action=f"test.cp{i}", obj=enterprise, after={"i": i}))
    return out


def _lines():
    return [json.loads(line) for line in checkpoint_file().read_text(encoding="utf-8").splitlines()]


def test_the_first_checkpoint_holds_every_stream_and_exports_every_record(_own_audit_dir):
    _write(2)
    done = write_checkpoint()
    assert done.line == 1
    streams = set(AuditRecord.objects.values_list("stream", flat=True))
    (line,) = _lines()
    assert set(line["heads"]) == streams and line["prev"] == "0" * 64 and len(line["mac"]) == 64
    exported = [json.loads(x) for x in (_own_audit_dir / done.export).read_text(encoding="utf-8").splitlines()]
    assert len(exported) == AuditRecord.objects.count() == done.exported
    assert {"id", "stream", "seq", "actor_id", "key_id", "hash", "prev_hash", "after"} <= set(exported[0])


def test_a_later_checkpoint_holds_only_the_streams_that_moved_and_exports_only_new_records(_own_audit_dir):
    write_checkpoint()
    new = _write(3, index=1)
    done = write_checkpoint()
    line = _lines()[-1]
    assert list(line["heads"]) == [new[0].stream]
    assert line["heads"][new[0].stream] == [new[-1].seq, new[-1].hash]
    assert done.exported == 3 and done.line == 2
    exported = (_own_audit_dir / done.export).read_text(encoding="utf-8").splitlines()[-3:]
    assert [json.loads(x)["action"] for x in exported] == ["test.cp0", "test.cp1", "test.cp2"]
    assert write_checkpoint().streams == 0  # nothing moved


def test_a_checkpoint_refuses_to_sign_a_rewritten_chain():
    records = _write(3)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.forged", records[1].pk])
    with pytest.raises(CheckpointError, match="keyed hash"):
        write_checkpoint()
    assert not checkpoint_file().exists()
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("auditcheckpoint")


def test_a_checkpoint_refuses_to_bless_deleted_newest_records():
    records = _write(3)
    write_checkpoint()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord WHERE id = %s", [records[-1].pk])
    with pytest.raises(CheckpointError, match="deleted"):
        write_checkpoint()
    assert len(_lines()) == 1


def test_an_edited_checkpoint_line_is_caught():
    records = _write(2)
    write_checkpoint()
    lines = _lines()
    lines[0]["heads"][records[0].stream] = [1, records[0].prev_hash]  # claim the stream was shorter
    checkpoint_file().write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    report = verify_chain()
    assert not report.ok and "signature" in report.reason
    with pytest.raises(CheckpointError):
        write_checkpoint()


def test_a_checkpoint_line_dropped_from_the_middle_is_caught():
    for n in range(3):
        _write(1, index=n)
        write_checkpoint()
    lines = checkpoint_file().read_text(encoding="utf-8").splitlines(keepends=True)
    checkpoint_file().write_text(lines[0] + lines[2], encoding="utf-8")
    report = verify_chain()
    assert not report.ok and "does not follow" in report.reason


def test_garbage_in_the_checkpoint_file_is_reported_not_raised():
    write_checkpoint()
    with open(checkpoint_file(), "a", encoding="utf-8") as handle:
        handle.write("\ud7ff not json\n")
    report = verify_chain()
    assert not report.ok and "line 2 is not a checkpoint" in report.reason


def test_the_commands_report_what_they_did(capsys):
    _write(1)
    call_command("auditcheckpoint")
    call_command("verifyaudit")
    out = capsys.readouterr().out
    assert "checkpoint 1 written" in out and "held to 1 checkpoints" in out


def test_the_periodic_task_writes_a_checkpoint():
    from qinqing.audit.tasks import checkpoint_audit

    _write(1)
    checkpoint_audit.call_local()
    assert len(_lines()) == 1


def test_the_periodic_task_raises_the_alarm_instead_of_signing_a_rewritten_chain(caplog):
    from qinqing.audit.tasks import checkpoint_audit

    records = _write(2)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET actor_label = %s WHERE id = %s", ["admin", records[0].pk])
    with caplog.at_level("CRITICAL", logger="qinqing.audit.tasks"), pytest.raises(CheckpointError):
        checkpoint_audit.call_local()
    assert "does not verify" in caplog.text
    assert not checkpoint_file().exists()


def test_verifyaudit_warns_while_no_checkpoint_exists(capsys):
    call_command("verifyaudit")
    assert "no checkpoint yet" in capsys.readouterr().out
    write_checkpoint()
    call_command("verifyaudit")
    assert "no checkpoint yet" not in capsys.readouterr().out
