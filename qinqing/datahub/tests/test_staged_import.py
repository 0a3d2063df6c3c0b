"""Registry imports at province scale (issue 10 §4): streamed a chunk at a time, staged, one upsert, all or nothing."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from qinqing.audit.models import AuditRecord
from qinqing.core.models import OutboxEvent
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import RegistryRecord
from qinqing.datahub.rows.parsing import stream_csv
from qinqing.datahub.services import import_file
from qinqing.datahub.tests.support import csv_body, new_uscc, registry_row

pytestmark = pytest.mark.django_db


def _file(tmp_path: Path, rows: list[Mapping[str, Any]], *, bom: bool = False) -> Path:
    path = tmp_path / "registry.csv"
    path.write_bytes(csv_body(rows, bom=bom))
    return path


def _facts(since: int) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(seq__gt=since, name="enterprise.facts_changed").order_by("seq"))


def _head() -> int:
    return OutboxEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_file_in_many_chunks_is_created_then_updated_with_one_event_per_changed_enterprise(tmp_path):
    codes = [new_uscc(700 + i) for i in range(11)]
    path = _file(tmp_path, [registry_row(c, name=f"杭州分块{i}有限公司") for i, c in enumerate(codes)], bom=True)
    start, audits = _head(), AuditRecord.objects.count()
    seen: list[tuple[int, int]] = []
    result = import_file(source_code="market_registry", path=path, actor="test", chunk_rows=3, sql_path=False,
                         progress=lambda done, size: seen.append((done, size)))
    assert (result.rows, result.created, result.updated) == (11, 11, 0)
    assert len(seen) == 4 and seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert set(RegistryRecord.objects.filter(uscc__in=codes).values_list("uscc", flat=True)) == set(codes)
    assert RegistryRecord.objects.get(uscc=codes[4]).name == "杭州分块4有限公司"
    events = _facts(start)
    assert sorted(e.enterprise for e in events) == sorted(codes)
    assert all(e.payload["created"] and e.region == "330108002002" for e in events)
    assert all(e.payload["fields"] == [] for e in events)  # a new enterprise's event names no fields
    assert AuditRecord.objects.count() == audits + 1

    # Again, two enterprises changed (one only in how a figure is written: no change).
    rows = [registry_row(c, name=f"杭州分块{i}有限公司") for i, c in enumerate(codes)]
    rows[2]["status"] = "在业"
    rows[7]["registered_capital"] = "1000000"
    rows[9]["address"] = "浙江省杭州市滨江区西兴街道1号"
    start = _head()
    result = import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", chunk_rows=4, sql_path=False)
    assert (result.rows, result.created, result.updated) == (11, 0, 11)
    events = _facts(start)
    assert {e.enterprise: e.payload["fields"] for e in events} == {
        codes[2]: ["market_registry.status"], codes[9]: ["market_registry.address"]}
    assert RegistryRecord.objects.get(uscc=codes[2]).status == "在业"


def test_a_bad_row_in_a_late_chunk_rejects_the_file_and_nothing_is_written(tmp_path):
    codes = [new_uscc(800 + i) for i in range(9)]
    rows = [registry_row(c) for c in codes]
    rows[7]["established_on"] = "2020/01/02"  # line 9
    rows[8]["uscc"] = "91330108MA2XXXXXXX"  # line 10
    start, audits = _head(), AuditRecord.objects.count()
    with pytest.raises(ImportRejected) as exc:
        import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", chunk_rows=2)
    assert {(e["line"], e["field"]) for e in exc.value.errors} == {(9, "established_on"), (10, "uscc")}
    assert not RegistryRecord.objects.filter(uscc__in=codes).exists()
    assert _facts(start) == [] and AuditRecord.objects.count() == audits


def test_a_key_repeated_across_chunks_is_found_by_the_database_naming_the_first_line(tmp_path):
    codes = [new_uscc(900 + i) for i in range(6)]
    rows = [registry_row(c) for c in codes] + [registry_row(codes[1]), registry_row(codes[4])]
    with pytest.raises(ImportRejected) as exc:
        import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", chunk_rows=3)
    assert [(e["line"], e["field"]) for e in exc.value.errors] == [(8, "uscc"), (9, "uscc")]
    assert "3" in exc.value.errors[0]["reason"] and "6" in exc.value.errors[1]["reason"]
    assert not RegistryRecord.objects.filter(uscc__in=codes).exists()


def test_a_file_that_is_not_utf8_or_has_a_bad_header_is_refused():
    with pytest.raises(ImportRejected) as exc:
        list(stream_csv(io.BytesIO(b"uscc,name\n" + "滨江".encode("gbk") + b",x\n")))
    assert exc.value.errors[0]["line"] == 2
    with pytest.raises(ImportRejected) as exc:
        list(stream_csv(io.BytesIO(b"uscc,uscc\n1,2\n")))
    assert exc.value.errors[0]["field"] == "uscc"
    tables = list(stream_csv(io.BytesIO(b'uscc,name\n\n"a\nb",c\nd,e\n'), chunk_rows=1))
    assert [t.lines for t in tables] == [[3], [5]]


def test_importdata_streams_a_registry_csv(tmp_path):
    codes = [new_uscc(950 + i) for i in range(5)]
    out = io.StringIO()
    call_command("importdata", "market_registry", str(_file(tmp_path, [registry_row(c) for c in codes])),
                 "--quiet", stdout=out)
    assert "5 rows, 5 created, 0 updated" in out.getvalue()
    assert RegistryRecord.objects.filter(uscc__in=codes).count() == 5


def test_importdata_names_each_step_after_reading_the_file_with_the_time_it_began(tmp_path, capsys):
    codes = [new_uscc(960 + i) for i in range(3)]
    out = io.StringIO()
    call_command("importdata", "market_registry", str(_file(tmp_path, [registry_row(c) for c in codes])), stdout=out)
    assert "3 rows, 3 created, 0 updated" in out.getvalue()
    err = capsys.readouterr().err
    assert "100.0%" in err, "the bar reaches the end of the file"
    lines = [line.strip() for line in err.split("\n") if "…" in line]
    assert all(re.fullmatch(r"\[\d\d:\d\d:\d\d\] .+ …", line) for line in lines), lines
    assert [line.split("] ", 1)[1].removesuffix(" …") for line in lines][-2:] == ["writing events",
                                                                               "writing the registry"]


def test_a_failed_import_names_its_rows_and_writes_nothing(tmp_path):
    rows = [registry_row(new_uscc(970)), registry_row(new_uscc(970))]  # the same code twice
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("importdata", "market_registry", str(_file(tmp_path, rows)), stderr=err)
    assert ":line 3:" in err.getvalue() or ":line 2:" in err.getvalue(), err.getvalue()
    assert not RegistryRecord.objects.filter(uscc=new_uscc(970)).exists()


@pytest.mark.parametrize("sql_path", [True, False])
def test_a_re_import_rewrites_only_the_rows_that_changed_and_tells_only_their_enterprises(tmp_path, sql_path):
    codes = [new_uscc(740 + i) for i in range(5)]
    rows = [registry_row(c, name=f"杭州重导{i}有限公司") for i, c in enumerate(codes)]
    first = import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", sql_path=sql_path)
    assert first.created == 5
    stamps = dict(RegistryRecord.objects.filter(uscc__in=codes).values_list("uscc", "as_of"))

    start = _head()
    rows[3]["status"] = "吊销"
    again = import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", sql_path=sql_path)
    assert (again.rows, again.created, again.updated) == (5, 0, 5)
    assert [(e.enterprise, e.payload["fields"]) for e in _facts(start)] == [(codes[3], ["market_registry.status"])]
    held = dict(RegistryRecord.objects.filter(uscc__in=codes).values_list("uscc", "as_of"))
    # The changed row carries this import's time; the unchanged ones keep the time of the import that wrote them.
    assert held[codes[3]] == again.as_of > stamps[codes[3]]
    assert {c: held[c] for c in codes if c != codes[3]} == {c: stamps[c] for c in codes if c != codes[3]}
    assert RegistryRecord.objects.get(uscc=codes[3]).status == "吊销"

    start = _head()
    same = import_file(source_code="market_registry", path=_file(tmp_path, rows), actor="test", sql_path=sql_path)
    assert (same.created, same.updated, same.changes) == (0, 5, {})
    assert _facts(start) == []
    assert dict(RegistryRecord.objects.filter(uscc__in=codes).values_list("uscc", "as_of")) == held


def test_the_registry_has_no_index_an_import_pays_for_and_no_query_uses():
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, RegistryRecord._meta.db_table)
    on_code = {name for name, c in constraints.items() if c["columns"] == ["uscc"] and (c["index"] or c["unique"])}
    assert on_code == {"registry_uscc_unique"}  # no second (LIKE-prefix) index on the code
    on_synthetic = [name for name, c in constraints.items() if c["columns"] == ["synthetic"] and c["index"]]
    assert on_synthetic == ["registry_synthetic"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'registry_synthetic'")
            assert cursor.fetchone()[0].endswith("WHERE synthetic")  # real rows have no entry
