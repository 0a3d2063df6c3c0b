"""On PostgreSQL the audit table itself refuses UPDATE and DELETE, whatever the client."""

import pytest
from django.db import DatabaseError, connection, transaction

from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, verify_chain
from qinqing.core import events
from qinqing.regions.models import Region

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"),
]


def _record() -> AuditRecord:
    with events.atomic():
        return record_event(actor="system", action="test.protected", obj=Region.objects.first())


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditrecord SET action = 'test.forged' WHERE id = %s",
    "UPDATE audit_auditrecord SET hash = hash WHERE id = %s",
    "DELETE FROM audit_auditrecord WHERE id = %s",
])
def test_postgresql_refuses_to_change_or_delete_an_audit_record(statement):
    record = _record()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [record.pk])
    assert AuditRecord.objects.filter(pk=record.pk, action="test.protected").exists()
    assert verify_chain().ok


def test_postgresql_still_takes_new_records():
    before = AuditRecord.objects.count()
    _record()
    assert AuditRecord.objects.count() == before + 1
