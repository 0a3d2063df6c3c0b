"""The SQL path of registry imports (COPY, checks in SQL) refuses every row the Python validator refuses.

`copyload` imports a registry CSV without parsing it in Python only when ONE SQL predicate accepts every
row; otherwise the Python validator runs over the file and words the refusals. So the predicate must be
conservative: a row it accepts, Python accepts too, with the same typed values. These tests put
adversarial rows (bad check characters, odd Unicode, full-width characters, overlong cells, blanks, …)
through both and compare, and check whole files (duplicates, NUL, blank lines, quoting, COPY's `\\.`).
PostgreSQL only (the path does not exist on SQLite).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from qinqing.core.ids import USCC_ALPHABET, InvalidUSCC, generate_uscc, uscc_check_char, validate_uscc
from qinqing.core.models import OutboxEvent
from qinqing.datahub import copyload
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.datahub.rows import RowValidator, Table, field_specs
from qinqing.datahub.rows.validation import duplicate_key
from qinqing.datahub.services import import_file
from qinqing.datahub.tests.support import new_uscc, registry_row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"),
]

COLUMNS = list(registry_row("x"))
ODD = ["\x00", "\x01", "\t", "\n", "\r", "\x7f", "\x85", "\xa0", "\xad", "\u200b", "\u200e", "\u202e", "\u2028",
       "\u3000", "\ufeff", "\ufffd", "\uffff", "\ue000", "\U000e0001", "\U0001f600", "\u0378", "ａ", "１", "Ⅷ", "é",
       "e\u0301", "'", '"', ",", "\\", "\\.", "%", "_", " "]


def _bad_checks(code: str) -> list[str]:
    """The code with a wrong whole-code check, a wrong organisation check, letters the alphabet lacks."""
    out = [code[:17] + next(c for c in USCC_ALPHABET if c != code[17])]
    org = next(c for c in "0123456789X" if c != code[16])
    out.append(code[:16] + org + uscc_check_char(code[:16] + org))
    out += [code[:5] + "I" + code[6:], code[:9] + "O" + code[10:], "0" + code[1:], "B" + code[1:]]
    # Letters GB 32100 leaves out (I, O, Z, S, V) where a letter may stand, and a letter other than X as the
    # organisation code's check with the whole code's check made right for it.
    out += [code[:17] + c for c in "IOZSV"] + [code[:9] + c + code[10:] for c in "IOZSV"]
    out.append(code[:16] + "A" + uscc_check_char(code[:16] + "A"))
    out += [code.lower(), code[:17], code + "1", " " + code, code + " ", code[:9] + " " + code[9:],
            "".join(chr(ord(c) + 0xFEE0) for c in code), code[:2] + "A" + code[3:]]
    return out


CELLS: dict[str, list[str]] = {
    "name": ["", " ", "杭州某公司", " 杭州某公司 ", "x" * 200, "x" * 201, "杭" * 200, "杭" * 201, "a\u3000b"],
    "legal_representative": ["", "张三", "x" * 64, "x" * 65, "Zhang San"],
    "registered_capital": ["", "0", "0.00", "1", "1.5", "1.50", "1.500", "1.505", ".5", "5.", "-1", "+1", "1e5",
                           "1,000", "1_000", "１２３", "99999999999999.99", "100000000000000", "00000000000001",
                           "NaN", "Infinity", " 1 ", "1 000", "١٢٣"],
    "industry_code": ["", "I6513", "i6513", "I", "T9999", "U1", "I65130", "Ｉ6513", " I6513", "I６513"],
    "industry_name": ["", "软件", "x" * 100, "x" * 101],
    "entity_type": ["", "有限责任公司（自然人投资或控股）", "x" * 65],
    "address": ["", "浙江省杭州市", "x" * 300, "x" * 301, "line1\nline2", "a\tb"],
    "region_code": ["", "330108", "33010", "330108002002", "1" * 24, "1" * 25, "３３０１０８", "330108a", "٣٣٠١٠٨"],
    "established_on": ["", "2020-01-02", "2024-02-29", "2025-02-29", "2025-02-28", "2025-04-31", "2025-12-31",
                       "0000-01-01", "0001-01-01", "9999-12-31", "2025-13-01", "2025-00-10", "2025-1-01",
                       "2025-01-1", "20250101", "２０２５-01-01", " 2025-01-01", "2025/01/01", "2025-01-01T00"],
    "status": ["", "存续", "在业", "迁出", " 存续", "存续 ", "存 续", "active", "存续\u200b"],
}


def _rows(seed: int = 7, random_rows: int = 1500) -> list[dict[str, str]]:
    """A valid row, each adversarial cell in an otherwise valid row, and random mixtures."""
    base = registry_row(new_uscc(1))
    rows = [dict(base)]
    for code in _bad_checks(new_uscc(2)):
        rows.append({**base, "uscc": code})
    for name, cells in CELLS.items():
        rows += [{**base, "uscc": new_uscc(100 + len(rows)), name: cell} for cell in cells]
        rows += [{**base, "uscc": new_uscc(100 + len(rows)), name: base[name] + odd} for odd in ODD]
        rows += [{**base, "uscc": new_uscc(100 + len(rows)), name: odd + base[name]} for odd in ODD]
    rng = random.Random(seed)
    for i in range(random_rows):
        row = {**base, "uscc": new_uscc(10_000 + i)}
        for _ in range(rng.randrange(1, 4)):
            name = rng.choice(COLUMNS)
            if name == "uscc":
                fresh = new_uscc(50_000 + i)
                row[name] = rng.choice([*_bad_checks(fresh), fresh])
            elif rng.random() < 0.5:
                row[name] = rng.choice(CELLS[name])
            else:
                text = list(row[name])
                text.insert(rng.randrange(len(text) + 1), rng.choice(ODD))
                row[name] = "".join(text)
        rows.append(row)
    return [r for r in rows if "\x00" not in "".join(r.values())]  # PostgreSQL text cannot hold NUL


def _python_verdicts(source: Source, rows: list[dict[str, str]]) -> list[dict[str, Any] | None]:
    """Per row: the clean values when the Python validator accepts it alone, else None."""
    out: list[dict[str, Any] | None] = []
    validator = RowValidator(source)
    for row in rows:
        run = validator.run(dedupe=True)
        clean = run.rows(Table(rows=[row], lines=[2], header_line=1, columns=tuple(COLUMNS)))
        out.append(None if run.failed else {"uscc": clean[0].uscc, **clean[0].values})
    return out


def _canonical(code: str) -> bool:
    try:
        return validate_uscc(code) == code
    except InvalidUSCC:
        return False


def test_the_sql_code_check_accepts_exactly_the_canonical_codes_python_accepts():
    """Every one-character change and every swap of neighbours of valid codes (digits and letters, the letters
    the standard leaves out, lower case, full-width forms): SQL accepts a code iff Python accepts it unchanged."""
    rng = random.Random(11)
    valid = [new_uscc(i) for i in range(12)]
    valid += [generate_uscc(division="110105", department=d, category=c, rng=rng) for d, c in
              (("1", "1"), ("5", "2"), ("9", "3"), ("A", "1"), ("N", "2"), ("Y", "1"))]
    valid.append(next(c for c in (new_uscc(i) for i in range(100, 400)) if c[16] == "X"))
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZaxy１Ｘ -é"
    codes = set(valid)
    for code in valid:
        for i in range(18):
            codes.update(code[:i] + c + code[i + 1:] for c in chars)
            if i < 17:
                codes.add(code[:i] + code[i + 1] + code[i] + code[i + 2:])
    codes = sorted(codes)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c0, {copyload.uscc_check('c0')} FROM unnest(%s::text[]) AS r(c0) "
                       "CROSS JOIN LATERAL (SELECT textsend(COALESCE(c0, '')) AS u OFFSET 0) k", [codes])
        verdicts = dict(cursor.fetchall())
    assert len(verdicts) == len(codes) > 10_000
    wrong = [code for code in codes if verdicts[code] is not _canonical(code)]
    assert wrong == []
    assert all(verdicts[code] for code in valid)


def test_the_sql_predicate_refuses_every_row_python_refuses_and_agrees_on_the_values():
    source = Source.objects.get(code="market_registry")
    rows = _rows()
    python = _python_verdicts(source, rows)
    predicate = copyload.compile_predicate(field_specs(source), source.key_field, source.category_field, COLUMNS)
    names = [c for c in copyload.RegistryAdapter.COLUMNS if c in predicate.typed]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {copyload.RAW} (n int, "
                       + ", ".join(f"c{i} text" for i in range(len(COLUMNS))) + ")")
        with cursor.cursor.copy(f"COPY {copyload.RAW} FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row((n, *(row[c] if row[c] != "" else None for c in COLUMNS)))
        cursor.execute(f"SELECT n, ({predicate.ok}), {predicate.uscc}, "
                       + ", ".join(f"CASE WHEN {predicate.ok} THEN {predicate.typed[c]} END" for c in names)
                       + f" FROM {copyload.RAW} {predicate.lateral} ORDER BY n")
        sql = cursor.fetchall()
        cursor.execute(f"DROP TABLE {copyload.RAW}")
    accepted = 0
    for n, ok, uscc, *values in sql:
        if not ok:
            continue
        accepted += 1
        assert python[n] is not None, f"SQL accepts a row Python refuses: {rows[n]!r}"
        assert {"uscc": uscc, **dict(zip(names, values, strict=True))} == python[n], rows[n]
    # The predicate is not vacuous: it accepts the plain rows (and a good share of the random ones).
    assert sql[0][1] is True
    assert accepted > 300, accepted
    # Python accepts some rows the SQL refuses (lower-case codes, "1,000", spaces): those go the slow way.
    assert sum(v is not None for v in python) > accepted


def _write(tmp_path: Path, rows: list[dict[str, str]], *, tail: bytes = b"", crlf: bool = False) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n" if crlf else "\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "registry.csv"
    path.write_bytes(out.getvalue().encode("utf-8") + tail)
    return path


def _sql_path_taken(source: Source, path: Path) -> bool:
    """Whether copy_import took the file (inside a transaction rolled back afterwards)."""
    from django.utils import timezone

    from qinqing.core import events

    class Rollback(Exception):
        pass

    taken = False
    try:
        with events.atomic():
            taken = copyload.copy_import(source, path, as_of=timezone.now()) is not None
            raise Rollback
    except Rollback:
        pass
    return taken


@pytest.mark.parametrize(("label", "tail", "crlf", "taken"), [
    ("plain", b"", False, True),
    ("windows line ends", b"", True, True),
    ("a blank line", b"\n", False, False),
    ("a NUL byte", b"\x00", False, False),
    ("COPY's end marker", b"\\.\n", False, False),
    ("a quote inside a plain cell", "QUOTED", False, False),
    ("an unclosed quote", b'"abc\n', False, False),
    ("not UTF-8", b"\xff\xfe\n", False, False),
])
def test_files_the_sql_path_takes_and_leaves_to_python(tmp_path, label: str, tail: Any, crlf: bool, taken: bool):
    source = Source.objects.get(code="market_registry")
    rows = [registry_row(new_uscc(900 + i), name=f"杭州,逗号{i}有限公司" if i == 1 else "杭州测试") for i in range(3)]
    if tail == "QUOTED":  # a whole row whose name holds a bare quote: a literal to Python, quoting to COPY
        tail = ",".join(registry_row(new_uscc(950), name='杭州"引号,公司').values()).encode() + b"\n"
    path = _write(tmp_path, rows, tail=tail, crlf=crlf)
    assert _sql_path_taken(source, path) is taken, label


def test_a_repeated_code_or_a_bad_row_goes_to_python_which_words_the_refusal(tmp_path):
    code = new_uscc(41)
    source = Source.objects.get(code="market_registry")
    path = _write(tmp_path, [registry_row(code), registry_row(new_uscc(42)), registry_row(code)])
    assert _sql_path_taken(source, path) is False
    with pytest.raises(ImportRejected) as caught:
        import_file(source_code="market_registry", path=path, actor="test")
    assert caught.value.errors == [{"line": 4, "field": "uscc", "reason": duplicate_key(2)}]

    bad = registry_row(new_uscc(43), established_on="2025-02-29")
    path = _write(tmp_path, [registry_row(new_uscc(44)), bad])
    with pytest.raises(ImportRejected) as caught:
        import_file(source_code="market_registry", path=path, actor="test")
    assert [(e["line"], e["field"]) for e in caught.value.errors] == [(3, "established_on")]
    assert not RegistryRecord.objects.filter(uscc=new_uscc(44)).exists()


def test_the_sql_path_writes_the_registry_and_one_event_per_new_or_changed_enterprise(tmp_path):
    codes = [new_uscc(60 + i) for i in range(5)]
    rows = [registry_row(c, name=f"杭州SQL{i}有限公司") for i, c in enumerate(codes)]
    head = OutboxEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    result = import_file(source_code="market_registry", path=_write(tmp_path, rows), actor="test")
    assert (result.rows, result.created, result.updated) == (5, 5, 0)
    assert RegistryRecord.objects.get(uscc=codes[3]).name == "杭州SQL3有限公司"
    events = list(OutboxEvent.objects.filter(seq__gt=head, name="enterprise.facts_changed").order_by("seq"))
    assert sorted(e.enterprise for e in events) == sorted(codes)  # one each, in no particular order
    assert all(e.payload == {"sources": ["market_registry"], "created": True, "fields": []} for e in events)
    assert events[0].region == "330108002002" and result.changes[codes[0]].created

    rows[1]["registered_capital"] = "1000000"  # the same figure written differently: no change
    rows[2]["status"] = "在业"
    head = max(e.seq for e in events)
    result = import_file(source_code="market_registry", path=_write(tmp_path, rows), actor="test")
    assert (result.rows, result.created, result.updated) == (5, 0, 5)
    events = list(OutboxEvent.objects.filter(seq__gt=head, name="enterprise.facts_changed"))
    assert [(e.enterprise, e.payload["fields"], e.payload["created"]) for e in events] == [
        (codes[2], ["market_registry.status"], False)]
    assert set(result.changes) == {codes[2]}
