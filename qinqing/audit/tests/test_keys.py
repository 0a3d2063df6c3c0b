"""Audit keys live outside the database, are created once, rotate, and keep old records verifiable."""

import json
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from qinqing.audit import keys
from qinqing.audit.checkpoints import checkpoint_file, write_checkpoint
from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, verify_chain
from qinqing.core import events
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def _record() -> AuditRecord:
    with events.atomic():
        return record_event(actor="system", action="test.key", obj=Region.objects.first())


def test_the_key_file_is_created_on_first_use_private_to_its_owner(settings, tmp_path):
    settings.QINQING_AUDIT_KEY_FILE = tmp_path / "keys" / "audit-keys.json"
    ring = keys.keyring()
    mode = stat.S_IMODE(os.stat(settings.QINQING_AUDIT_KEY_FILE).st_mode)
    assert mode == 0o600
    assert ring.source == "file" and ring.current == keys.key_id_of(ring.secrets[ring.current])
    assert keys.keyring() == ring  # read once, the same afterwards


def test_rotation_keeps_old_records_verifiable_and_seals_new_ones_with_the_new_key(key_file, capsys):
    old = _record()
    call_command("rotateauditkey")  # anchors what the old key sealed, then rotates
    new = _record()
    out = capsys.readouterr().out
    assert "checkpoint 1 written under the old key" in out and new.key_id in out
    assert new.key_id != old.key_id
    document = json.loads(key_file.read_text())
    assert old.key_id in document["keys"] and document["current"] == new.key_id
    lines = [json.loads(x) for x in checkpoint_file().read_text().splitlines()]
    assert lines[0]["key_id"] == old.key_id
    write_checkpoint()  # signed with the new key; the first line still checks with the old one
    report = verify_chain()
    assert report.ok and report.checkpoints == 2, report


def test_a_key_can_be_rotated_even_when_the_chain_no_longer_verifies(key_file, capsys):
    from qinqing.audit.tests.support import as_table_owner

    old = _record()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.forged", old.pk])
    call_command("rotateauditkey")
    captured = capsys.readouterr()
    assert "rotating anyway" in captured.err
    assert json.loads(key_file.read_text())["current"] != old.key_id


def test_a_record_whose_key_was_lost_does_not_verify(key_file):
    old = _record()
    keys.rotate()
    document = json.loads(key_file.read_text())
    del document["keys"][old.key_id]
    key_file.write_text(json.dumps(document))
    report = verify_chain()
    assert not report.ok and "unknown key" in report.reason


def test_the_key_can_come_from_the_environment_and_then_is_not_rotated_by_the_command(settings, key_file):
    kept = [entry["secret"] for entry in json.loads(key_file.read_text())["keys"].values()]
    fresh = keys.new_secret()
    settings.QINQING_AUDIT_KEY = ",".join([fresh, *kept])
    record = _record()
    assert record.key_id == keys.key_id_of(keys._decode(fresh))
    assert verify_chain().ok
    with pytest.raises(CommandError, match="QINQING_AUDIT_KEY"):
        call_command("rotateauditkey")


@pytest.mark.parametrize("value", ["short", "not base64 !!", " , "])
def test_a_weak_or_malformed_environment_key_is_refused(settings, value):
    settings.QINQING_AUDIT_KEY = value
    with pytest.raises(ImproperlyConfigured):
        keys.keyring()


def test_a_key_file_with_a_misnamed_key_is_refused(key_file):
    document = json.loads(key_file.read_text())
    kid = document["current"]
    document["keys"]["ffffffffffffffff"] = document["keys"].pop(kid)
    document["current"] = "ffffffffffffffff"
    key_file.write_text(json.dumps(document))
    with pytest.raises(ImproperlyConfigured):
        keys.keyring()


def test_two_processes_creating_the_key_file_at_once_end_with_one_key(settings, tmp_path):
    path = tmp_path / "audit-keys.json"
    keys._create(path)
    first = path.read_bytes()
    keys._create(path)  # the loser of the race keeps the winner's file
    assert path.read_bytes() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
