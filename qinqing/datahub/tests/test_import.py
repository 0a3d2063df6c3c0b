"""Batch imports: every row checked first, then all rows upserted by key in one transaction, or none."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qinqing.audit.models import AuditRecord
from qinqing.core.errors import ValidationFailed
from qinqing.datahub.errors import ImportRejected, UnknownSource
from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.datahub.rows import parse_csv, parse_json
from qinqing.datahub.services import import_records, load_sources
from qinqing.datahub.tests.support import csv_body, land_row, new_uscc, registry_row

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ImportRejected]) -> set[tuple[int, str]]:
    return {(e["line"], e["field"]) for e in exc.value.errors}


def test_a_bad_csv_row_rejects_the_whole_file_naming_each_line_and_field():
    good, other = new_uscc(1), new_uscc(2)
    rows = [
        registry_row(good),
        registry_row("91330108MA2XXXXXXX"),  # line 3: check characters wrong
        registry_row(other, registered_capital="12,5万", established_on="2020/01/02"),  # line 4
        registry_row(new_uscc(3), status="正常", name=""),  # line 5
    ]
    before = RegistryRecord.objects.count()
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="market_registry", rows=parse_csv(csv_body(rows)), actor="test")
    assert isinstance(exc.value, ValidationFailed)
    assert _errors(exc) == {(3, "uscc"), (4, "registered_capital"), (4, "established_on"), (5, "status"),
                            (5, "name")}
    assert all(e["reason"] for e in exc.value.errors)
    assert RegistryRecord.objects.count() == before
    assert not RegistryRecord.objects.filter(uscc=good).exists()


def test_a_bad_json_record_is_named_by_its_position_and_nothing_is_written():
    body = json.dumps({"records": [
        land_row(new_uscc(4), "T-JSON-1"),
        land_row(new_uscc(5), "T-JSON-2", area="-", term_years="fifty"),
        "not an object",
    ]})
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts", rows=parse_json(body), actor="test")
    assert _errors(exc) == {(3, "")}  # the shape is checked before any value
    body = json.dumps([land_row(new_uscc(4), "T-JSON-1"), land_row(new_uscc(5), "T-JSON-2", area="-",
                                                                     term_years="fifty", surprise="x")])
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts", rows=parse_json(body), actor="test")
    assert _errors(exc) == {(2, "area"), (2, "term_years"), (2, "surprise")}
    assert not DataRecord.objects.filter(key__startswith="T-JSON").exists()


def test_unknown_and_missing_csv_columns_are_reported_once_at_the_header():
    rows = [{k: v for k, v in land_row(new_uscc(6), f"T-H-{i}", colour="red").items() if k != "area"}
            for i in range(50)]
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts", rows=parse_csv(csv_body(rows)), actor="test")
    assert _errors(exc) == {(1, "colour"), (1, "area")}


def test_duplicate_keys_in_one_batch_name_the_first_line():
    uscc = new_uscc(7)
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts",
                       rows=parse_csv(csv_body([land_row(uscc, "T-DUP"), land_row(uscc, "T-DUP")])), actor="test")
    [error] = exc.value.errors
    assert (error["line"], error["field"]) == (3, "contract_no")
    assert "2" in error["reason"]


def test_a_utf8_bom_and_blank_lines_are_tolerated_and_lines_still_count_from_the_header():
    body = csv_body([land_row(new_uscc(8), "T-BOM-1")], bom=True) + b"\n" + csv_body(
        [land_row(new_uscc(9), "T-BOM-2", signed_on="2026-02-30")]).split(b"\n", 1)[1]
    table = parse_csv(body)
    assert table.columns[0] == "uscc"
    assert table.lines == [2, 4]
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts", rows=table, actor="test")
    assert _errors(exc) == {(4, "signed_on")}


def test_csv_that_is_not_utf8_is_rejected_with_its_line():
    body = b"uscc,contract_no\n" + "滨江".encode("gbk") + b"\n"
    with pytest.raises(ImportRejected) as exc:
        parse_csv(body)
    assert exc.value.errors[0]["line"] == 2


def test_values_are_checked_against_their_declared_types_lengths_and_choices():
    uscc = new_uscc(10)
    rows = [
        land_row(uscc, "T-T-1", area="12000.505"),  # too many decimal places
        land_row(uscc, "T-T-2", term_years="5.5"),
        land_row(uscc, "T-T-3", location="地" * 201),
        land_row(uscc, "T-T-4", use="工业\x00用地"),
        land_row(uscc, "T-T-5", price="1e400"),
        land_row(uscc, "T-T-6", signed_on="20260401"),
        land_row(uscc, "T-T-7", plot_ratio=""),  # optional: fine
    ]
    with pytest.raises(ImportRejected) as exc:
        import_records(source_code="land_contracts", rows=rows, actor="test")
    assert _errors(exc) == {(1, "area"), (2, "term_years"), (3, "location"), (4, "use"), (5, "price"),
                            (6, "signed_on")}


def test_import_creates_then_updates_by_key_and_moves_the_as_of():
    uscc = new_uscc(11)
    first = timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0))
    result = import_records(source_code="land_contracts", rows=[land_row(uscc, "T-UP-1"), land_row(uscc, "T-UP-2")],
                            actor="test", as_of=first)
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    assert result.seconds > 0
    record = DataRecord.objects.get(key="T-UP-1")
    assert record.as_of == first
    assert record.data["area"] == "12000.50" and record.data["term_years"] == 50
    assert record.title == "滨江区浦沿街道测试地块"

    later = timezone.make_aware(dt.datetime(2026, 6, 1, 9, 0))
    result = import_records(source_code="land_contracts", rows=[land_row(uscc, "T-UP-1", area="13000"),
                                                                land_row(uscc, "T-UP-3")], actor="test", as_of=later)
    assert (result.rows, result.created, result.updated) == (2, 1, 1)
    record.refresh_from_db()
    assert record.as_of == later
    assert record.data["area"] == "13000.00"
    assert DataRecord.objects.filter(key__startswith="T-UP-").count() == 3
    assert Source.objects.get(code="land_contracts").last_imported_at is not None


def test_registry_import_upserts_the_typed_table():
    uscc = new_uscc(12)
    import_records(source_code="market_registry", rows=[registry_row(uscc)], actor="test")
    result = import_records(source_code="market_registry",
                            rows=[registry_row(uscc.lower(), registered_capital="2,000,000", status="注销")],
                            actor="test")
    assert (result.created, result.updated) == (0, 1)
    record = RegistryRecord.objects.get(uscc=uscc)
    assert record.registered_capital == Decimal("2000000.00")
    assert record.status == "注销"
    assert record.established_on == dt.date(2020, 1, 2)


def test_a_large_import_counts_created_and_updated_exactly():
    rows = [land_row(new_uscc(1000 + i), f"T-BIG-{i}") for i in range(1200)]
    import_records(source_code="land_contracts", rows=rows[:700], actor="test")
    result = import_records(source_code="land_contracts", rows=rows, actor="test")
    assert (result.rows, result.created, result.updated) == (1200, 500, 700)


def test_every_import_writes_one_audit_record_with_its_counts():
    before = AuditRecord.objects.count()
    import_records(source_code="land_contracts", rows=[land_row(new_uscc(13), "T-AUD-1")], actor="test")
    assert AuditRecord.objects.count() == before + 1
    audit = AuditRecord.objects.order_by("-pk").first()
    assert audit is not None
    assert audit.action == "datahub.records_imported"
    assert audit.after["source"] == "land_contracts"
    assert (audit.after["rows"], audit.after["created"], audit.after["updated"]) == (1, 1, 0)


def test_a_rejected_import_writes_no_audit_record():
    before = AuditRecord.objects.count()
    with pytest.raises(ImportRejected):
        import_records(source_code="land_contracts", rows=[land_row("bad", "T-AUD-2")], actor="test")
    assert AuditRecord.objects.count() == before


def test_an_unknown_source_is_not_found():
    with pytest.raises(UnknownSource):
        import_records(source_code="no_such_source", rows=[], actor="test")


def test_loading_the_sources_twice_changes_nothing():
    before = list(Source.objects.order_by("code").values_list("code", "fact_prefix", "fields", "readers"))
    assert load_sources() == len(before)
    after = list(Source.objects.order_by("code").values_list("code", "fact_prefix", "fields", "readers"))
    assert after == before


def test_importdata_command_prints_the_counts(tmp_path):
    path = tmp_path / "land.csv"
    path.write_bytes(csv_body([land_row(new_uscc(14), "T-CMD-1"), land_row(new_uscc(15), "T-CMD-2")]))
    out = StringIO()
    call_command("importdata", "land_contracts", str(path), "--as-of", "2026-05-01T08:00", stdout=out)
    assert "2 rows, 2 created, 0 updated" in out.getvalue()
    assert "rows/s" in out.getvalue()
    record = DataRecord.objects.get(key="T-CMD-1")
    assert timezone.localtime(record.as_of).hour == 8


def test_importdata_command_prints_each_error_with_its_line_and_fails(tmp_path):
    path = tmp_path / "land.json"
    path.write_text(json.dumps([land_row(new_uscc(16), "T-CMD-3", signed_on="yesterday")]), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("importdata", "land_contracts", str(path), stderr=err)
    assert "line 1: signed_on:" in err.getvalue()
    assert not DataRecord.objects.filter(key="T-CMD-3").exists()
