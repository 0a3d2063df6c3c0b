"""Records collected during a long transaction are chained together at its end, or not at all."""

import pytest
from django.db import transaction

from qinqing.audit.models import AuditRecord
from qinqing.audit.services import chained_at_end, record_event, verify_chain
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def _head() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_deferred_records_are_chained_in_call_order_when_the_block_ends():
    region = Region.objects.first()
    start = _head()
    with transaction.atomic(), chained_at_end():
        for n in range(3):
            record_event(actor="system", action=f"test.step{n}", obj=region)
        assert _head() == start, "nothing is written before the block ends"
        with chained_at_end():  # a nested block joins the outer one
            record_event(actor="system", action="test.nested", obj=region)
        assert _head() == start
    actions = list(AuditRecord.objects.filter(seq__gt=start).order_by("seq").values_list("action", flat=True))
    assert actions == ["test.step0", "test.step1", "test.step2", "test.nested"]
    assert verify_chain().ok


def test_a_failing_block_writes_no_audit_record():
    region = Region.objects.first()
    start = _head()
    with pytest.raises(RuntimeError), transaction.atomic(), chained_at_end():
        record_event(actor="system", action="test.lost", obj=region)
        raise RuntimeError("the service refused")
    assert _head() == start
