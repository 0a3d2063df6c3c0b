"""The lookups a 秒办 decision makes in shared data: kept sources, and the licence mirror in one statement."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.core import events, kept
from qinqing.core.events import EnterpriseFactsChanged
from qinqing.core.models import OutboxEvent
from qinqing.datahub import services
from qinqing.datahub import sources as kept_sources
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import DataRecord, Source
from qinqing.datahub.services import record_licence
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


def _statements(queries: Any, verb: str, table: str) -> int:
    pattern = re.compile(rf'^\s*{verb}\b.*?(?:FROM|INTO|UPDATE)\s+"?{table}"?\b', re.IGNORECASE | re.DOTALL)
    return sum(1 for q in queries if pattern.match(q["sql"]))


def test_the_sources_are_read_once_and_again_after_an_edit():
    kept_sources.current()
    with CaptureQueriesContext(connection) as queries:
        assert kept_sources.source("land_contracts") is not None
        assert kept_sources.source("no_such_source") is None
    assert _statements(queries.captured_queries, "SELECT", "datahub_source") == 0
    assert _statements(queries.captured_queries, "SELECT", "core_keptversion") == 2, "one look per use"

    source = Source.objects.get(code="land_contracts")
    source.name = "改过的来源名称"
    source.save()
    assert kept_sources.source("land_contracts").name == "改过的来源名称"


def test_an_imports_stamp_does_not_bump_the_sources_but_a_definition_change_does():
    before = kept.version(kept_sources.KEPT)
    source = Source.objects.get(code="land_contracts")
    source.last_imported_at = timezone.now()
    source.save(update_fields=["last_imported_at"])
    assert kept.version(kept_sources.KEPT) == before
    source.fields = [*source.fields, {"name": "added_by_test", "label": "测试字段", "type": "text"}]
    source.save()
    assert kept.version(kept_sources.KEPT) != before
    assert "added_by_test" in [s.name for s in kept_sources.current().specs(kept_sources.source("land_contracts"))]


def test_versions_are_read_once_per_request_and_again_after_a_bump():
    with kept.request_memo(), CaptureQueriesContext(connection) as queries:
        first = kept.version(kept_sources.KEPT)
        assert kept.version("catalog") is not None and kept.version(kept_sources.KEPT) == first
        assert _statements(queries.captured_queries, "SELECT", "core_keptversion") == 1
        kept_sources.bump()
        assert kept.version(kept_sources.KEPT) != first, "a bump in the request is seen by the request"


def test_the_versions_carried_by_the_token_lookup_equal_their_own_read_and_cost_no_statement():
    from qinqing.accounts.services import issue_token, token_for_key
    from qinqing.cases.tests.support import enterprise

    kept_sources.bump()
    own = kept.versions()
    key, _ = issue_token(user=enterprise(0))
    with kept.request_memo(), CaptureQueriesContext(connection) as queries:
        assert token_for_key(key) is not None
        assert kept.versions() == own and kept.version(kept_sources.KEPT) == own[kept_sources.KEPT]
        assert len(queries.captured_queries) == 1, "the versions came with the token"
        kept_sources.bump()
        assert kept.version(kept_sources.KEPT) != own[kept_sources.KEPT], "a bump in the request is still seen"


def _mirror(number: str, *, status: str = "valid", title: str = "人力资源服务许可证", uscc: str = "") -> None:
    with events.atomic():
        record_licence(uscc=uscc or demo_uscc(7), number=number, matter_code="RSJ-009", title=title,
                       issued_at=timezone.make_aware(dt.datetime(2026, 5, 20, 23, 30)),
                       valid_until=dt.date(2031, 5, 19), status=status, region="330108001")


def _row(number: str) -> dict[str, Any]:
    row: dict[str, Any] = dict(DataRecord.objects.filter(source__code="licences", key=number).values(
        "uscc", "category", "title", "data", "synthetic").get())
    row["data"] = {k: v for k, v in row["data"].items() if k != "number"}
    return row


def _facts_changed(after: int) -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.filter(pk__gt=after, name=EnterpriseFactsChanged.NAME).order_by("pk")
    return [{"payload": r.payload, "enterprise": r.enterprise, "region": r.region} for r in rows]


def _last_event() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_new_licence_is_mirrored_in_one_insert_exactly_as_the_import_adapter_writes_it(monkeypatch):
    _mirror("T-WARM-1")  # the sources are kept now
    start = _last_event()
    with CaptureQueriesContext(connection) as queries:
        _mirror("T-FAST-1")
    fast_events = _facts_changed(start)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert _statements(queries.captured_queries, "INSERT", "datahub_datarecord") == 1
    assert _statements(queries.captured_queries, "SELECT", "datahub_datarecord") == 0
    assert _statements(queries.captured_queries, "SELECT", "datahub_source") == 0
    assert not [w for w in writes if "datahub_source" in w], "no stamp of the source, as before"

    monkeypatch.setattr(services, "_insert_new_licence", lambda *args: False)  # the import adapter's way
    start = _last_event()
    _mirror("T-SLOW-1")
    slow_events = _facts_changed(start)

    assert _row("T-FAST-1") == _row("T-SLOW-1")
    assert DataRecord.objects.get(source__code="licences", key="T-FAST-1").data["number"] == "T-FAST-1"
    assert len(fast_events) == len(slow_events) == 1
    assert fast_events == slow_events
    assert fast_events[0]["payload"]["created"] is True and fast_events[0]["region"] == "330108001"


def test_a_revocation_still_updates_the_row_and_reports_only_the_status():
    _mirror("T-REV-1")
    start = _last_event()
    _mirror("T-REV-1", status="revoked")
    assert DataRecord.objects.filter(source__code="licences", key="T-REV-1").count() == 1
    assert DataRecord.objects.get(source__code="licences", key="T-REV-1").data["status"] == "revoked"
    [changed] = _facts_changed(start)
    assert changed["payload"]["fields"] == ["licences.status"] and changed["payload"]["created"] is False


def test_a_value_the_import_would_refuse_is_still_refused():
    with pytest.raises(ImportRejected):
        _mirror("T-LONG-1", title="很长的证照名称" * 20)  # longer than the source's 100 characters
    assert not DataRecord.objects.filter(key="T-LONG-1").exists()
