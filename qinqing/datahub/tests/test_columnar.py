"""The column-wise check of a registry chunk accepts only what the row validator accepts, typed the same way.

`rows.columnar.clean_columns` lets a chunk skip the row validator when every row surely passes; on anything
else it declines and the row validator words the refusals. The adversarial rows of the SQL path's tests (bad
check characters, odd Unicode, full-width forms, overlong cells, blanks…) go through both, one row a chunk.
"""

from __future__ import annotations

import random

import pytest

from qinqing.core.ids import generate_uscc, validate_uscc
from qinqing.datahub.errors import ImportRejected
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.datahub.rows import RowValidator, Table
from qinqing.datahub.rows.columnar import canonical_codes, clean_columns
from qinqing.datahub.services import import_records
from qinqing.datahub.tests.support import new_uscc, registry_row
from qinqing.datahub.tests.test_copyload import COLUMNS, _bad_checks, _python_verdicts, _rows

pytestmark = pytest.mark.django_db


def _table(rows: list[dict[str, str]]) -> Table:
    return Table(rows=rows, lines=list(range(2, len(rows) + 2)), header_line=1, columns=tuple(COLUMNS))


def test_a_row_the_columns_accept_the_row_validator_accepts_with_the_same_values():
    source = Source.objects.get(code="market_registry")
    rows = _rows(seed=13, random_rows=800)
    python = _python_verdicts(source, rows)
    validator = RowValidator(source)
    accepted = 0
    for n, row in enumerate(rows):
        fast = clean_columns(validator.run(dedupe=True), _table([row]))
        if fast is None:
            continue
        accepted += 1
        assert python[n] is not None, f"the columns accept a row the row validator refuses: {row!r}"
        assert {"uscc": fast.usccs[0], **{k: v[0] for k, v in fast.values.items()}} == python[n], row
    assert clean_columns(validator.run(dedupe=True), _table([rows[0]])) is not None
    assert accepted > 300, accepted


def test_a_whole_chunk_is_declined_for_one_bad_or_repeated_row_and_the_row_validator_words_it():
    source = Source.objects.get(code="market_registry")
    good = [registry_row(new_uscc(300 + i)) for i in range(50)]
    validator = RowValidator(source)
    fast = clean_columns(validator.run(dedupe=True), good)
    assert fast is not None and fast.usccs == [r["uscc"] for r in good] and fast.lines == list(range(1, 51))
    for bad in (registry_row(new_uscc(400), registered_capital="1,000"), registry_row(new_uscc(401), status="存 续"),
                registry_row(good[3]["uscc"]), registry_row(new_uscc(402).lower()), {**good[0], "extra": "x"}):
        assert clean_columns(validator.run(dedupe=True), [*good, bad]) is None
    with pytest.raises(ImportRejected) as caught:
        import_records(source_code="market_registry", rows=[*good, registry_row(new_uscc(403), established_on="2025-02-30")],
                       actor="test")
    assert [(e["line"], e["field"]) for e in caught.value.errors] == [(51, "established_on")]
    assert not RegistryRecord.objects.filter(uscc=good[0]["uscc"]).exists()


def test_the_codes_check_is_validate_uscc_on_canonical_codes():
    rng = random.Random(5)
    valid = [generate_uscc(division="330108", department=d, rng=rng) for d in "159ANY"] + [new_uscc(i) for i in range(20)]
    assert canonical_codes(valid)
    for code in valid[:6]:
        for bad in _bad_checks(code):
            try:
                accepted = validate_uscc(bad) == bad
            except ValueError:
                accepted = False
            assert canonical_codes([*valid, bad]) is accepted, bad
    assert not canonical_codes([*valid, None]) and canonical_codes([])
