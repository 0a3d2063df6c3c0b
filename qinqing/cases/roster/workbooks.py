"""The roster's workbooks: the template to fill, the enrolment result and the error report (.xlsx)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.roster.rows import COLUMNS, HUKOU_LABELS, column_label, describe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)


def text_cell(sheet: Any, value: Any, *, bold: bool = False) -> Cell:
    """A cell that holds `value` as text, always: "=cmd" stays the four characters, never a formula."""
    cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
    cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    return cell


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_xlsx(*, today: dt.date) -> bytes:
    """A roster to fill in: Chinese headers, one example row, the ID column as text, instructions."""
    book = Workbook()
    sheet = cast(Worksheet, book.active)
    sheet.title = "职工花名册"
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = _BOLD
        dimension = sheet.column_dimensions[cell.column_letter]
        dimension.width = 24
        dimension.number_format = "@"  # the whole column as text: 18-digit ID numbers are never rounded
    example = {c.key: c.example for c in COLUMNS}
    example["start_month"] = f"{today:%Y-%m}"
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=2, column=index, value=example[column.key])
        cell.number_format = "@"
    hukou = DataValidation(type="list", formula1='"' + ",".join(HUKOU_LABELS.values()) + '"', allow_blank=True)
    sheet.add_data_validation(hukou)
    hukou.add(f"C2:C{roster_policy().max_rows + 1}")
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    notes.append([_("Column"), _("How to fill it in")])
    for column in COLUMNS:
        notes.append([column.header, str(column.help)])
    notes.append([])
    notes.append([_("Example row"), _("Line 2 shows an example person: replace it with your employees.")])
    notes.append([_("Limit"), _("At most %(limit)s employees per file.") % {"limit": roster_policy().max_rows}])
    for bounds in roster_policy().bounds:
        notes.append([
            f"{bounds.region_name} {bounds.year}",
            _("Monthly contribution base from %(lower)s to %(upper)s yuan. Source: %(source)s")
            % {"lower": f"{bounds.lower:,.2f}", "upper": f"{bounds.upper:,.2f}", "source": bounds.source_text},
        ])
    for cell in notes[1]:
        cell.font = _BOLD
    return _save(book)


def _write_only(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([text_cell(sheet, h, bold=True) for h in header])
    for row in rows:
        sheet.append([v if isinstance(v, (int, float)) and not isinstance(v, bool) else text_cell(sheet, v)
                      for v in row])
    return _save(book)


def result_xlsx(enrolments: Iterable[Mapping[str, Any]]) -> bytes:
    """Every enrolled employee with the enrolment number and status."""
    header = [_("Line"), "姓名", "居民身份证号码", "户籍性质", "月缴费基数（元）", "参保起始年月",
              _("Enrolment number"), _("Status")]
    rows = (
        [e["line"], e["name"], e["id_number"], HUKOU_LABELS.get(e["hukou_type"], e["hukou_type"]),
         f"{e['contribution_base']:.2f}", f"{e['start_month']:%Y-%m}", e["number"], e["status_label"]]
        for e in enrolments
    )
    return _write_only("参保结果", header, rows)


def errors_xlsx(errors: Iterable[Mapping[str, Any]]) -> bytes:
    """Every refused line with the column, the value given and the reason, in the active language."""
    header = [_("Line"), _("Column"), _("Value given"), _("Problem")]
    rows = ([e["line"] or "", column_label(e["field"]), e.get("value", ""), describe(e)] for e in errors)
    return _write_only("问题清单", header, rows)

