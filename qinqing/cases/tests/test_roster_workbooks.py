"""The roster workbooks: a typed formula comes back as text, never as a formula; the template's help."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from qinqing.cases.roster.workbooks import errors_xlsx, template_xlsx

INJECTION = "=cmd|' /C calc'!A0"


def test_a_formula_typed_into_a_roster_is_written_back_as_text_in_the_error_report():
    report = errors_xlsx([{"line": 2, "field": "name", "code": "formula", "value": INJECTION}])
    cell = load_workbook(io.BytesIO(report)).worksheets[0]["C2"]
    assert cell.value == INJECTION
    assert cell.data_type == "s"


def test_the_template_keeps_id_numbers_as_text_and_explains_the_bounds_with_their_source():
    book = load_workbook(io.BytesIO(template_xlsx(today=dt.date(2026, 12, 7))))
    sheet, notes = book.worksheets
    assert sheet["B2"].number_format == "@" and sheet["B2"].data_type == "s"
    assert sheet["E2"].value == "2026-12"
    text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    assert "4,812.00" in text and "24,930.00" in text
