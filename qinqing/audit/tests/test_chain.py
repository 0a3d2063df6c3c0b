import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from qinqing.audit.models import AuditRecord
from qinqing.audit.services import record_event, verify_chain
from qinqing.audit.tests.support import as_table_owner
from qinqing.regions.models import Region


@pytest.mark.django_db
def test_records_chain_and_verify():
    region = Region.objects.first()
    with transaction.atomic():
        record_event(actor=None, action="test.one", obj=region, after={"n": 1})
        record_event(actor=None, action="test.two", obj=region, before={"n": 1}, after={"n": 2})
    report = verify_chain()
    assert report.ok
    assert report.checked == AuditRecord.objects.count()


@pytest.mark.django_db
def test_records_refuse_update_and_delete():
    region = Region.objects.first()
    with transaction.atomic():
        record = record_event(actor=None, action="test.one", obj=region)
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        AuditRecord.objects.filter(pk=record.pk).update(action="x")


@pytest.mark.django_db
def test_tampering_in_the_database_is_detected_by_the_command():
    region = Region.objects.first()
    with transaction.atomic():
        record = record_event(actor=None, action="test.one", obj=region, after={"amount": "100.00"})
        record_event(actor=None, action="test.two", obj=region)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET action = %s WHERE id = %s", ["test.forged", record.pk])
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == record.pk
    with pytest.raises(CommandError):
        call_command("verifyaudit")

