"""The roster's typed columns and the checks of every row, each failure named by line and field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qinqing.cases.roster.policy import Bounds, RosterPolicy
from qinqing.core.ids import InvalidResidentId, generate_resident_id, validate_resident_id

PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    header: str  # the template's Chinese header
    aliases: tuple[str, ...]
    example: str
    help: Promise


HUKOU_TYPES: dict[str, tuple[str, ...]] = {
    "local_urban": ("本地城镇", "local urban", "local_urban"),
    "local_rural": ("本地农村", "local rural", "local_rural"),
    "nonlocal_urban": ("外地城镇", "non-local urban", "nonlocal urban", "nonlocal_urban"),
    "nonlocal_rural": ("外地农村", "non-local rural", "nonlocal rural", "nonlocal_rural"),
}
HUKOU_LABELS = {key: names[0] for key, names in HUKOU_TYPES.items()}
_HUKOU_LOOKUP = {name.replace(" ", "").replace("-", "").lower(): key
                 for key, names in HUKOU_TYPES.items() for name in names}

EXAMPLE_ID = generate_resident_id(division="330108", born=dt.date(1990, 3, 7), serial=123)
COLUMNS: tuple[Column, ...] = (
    Column("name", _("Name"), "姓名", ("姓名", "职工姓名", "name", "employeename"), "张三",
           _("2 to 30 characters: Chinese, letters or ·")),
    Column("id_number", _("Resident ID number"), "居民身份证号码",
           ("居民身份证号码", "公民身份号码", "身份证号码", "身份证号", "idnumber", "residentidnumber"),
           EXAMPLE_ID, _("18 characters; keep the column as text so that Excel does not round it")),
    Column("hukou_type", _("Household registration"), "户籍性质",
           ("户籍性质", "户口性质", "户籍类型", "hukoutype", "householdregistration"), "本地城镇",
           _("本地城镇, 本地农村, 外地城镇 or 外地农村")),
    Column("contribution_base", _("Monthly contribution base (yuan)"), "月缴费基数（元）",
           ("月缴费基数（元）", "月缴费基数", "缴费基数", "缴费基数（元）", "contributionbase",
            "monthlycontributionbase", "monthlycontributionbase(yuan)"), "6000.00",
           _("Yuan per month, at most 2 decimals, within the city's bounds")),
    Column("start_month", _("First month"), "参保起始年月",
           ("参保起始年月", "起始年月", "参保年月", "startmonth", "firstmonth", "firstmonth(yyyy-mm)"), "",
           _("YYYY-MM, not before the enterprise was established, at most 3 months ahead")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

# Every reason a row or a file is refused; the stored error keeps the code, the page translates it.
MESSAGES: dict[str, Promise] = {
    "required": _("This value is required."),
    "formula": _("A formula is not accepted: type the value itself."),
    "example_row": _("This is the template's example row: delete it."),
    "name_length": _("Give 2 to 30 characters."),
    "name_chars": _("Use Chinese characters, letters or the middle dot (·) only."),
    "id_number_numeric": _("The ID number was stored as a number and may have been rounded: format the column as text and type it again."),
    "id_length": _("An ID number has 18 characters."),
    "id_format": _("An ID number has 17 digits and a final digit or X."),
    "id_province": _("The first two digits are not a province code."),
    "id_division": _("The first six digits are not a division code of Zhejiang."),
    "id_birth_date": _("Digits 7 to 14 are not a valid birth date."),
    "id_future_birth": _("The birth date in the ID number lies in the future."),
    "id_check": _("The check character is wrong: please check the ID number."),
    "duplicate": _("Same ID number as line %(line)s."),
    "already_enrolled": _("Already enrolled with this enterprise (enrolment number %(number)s)."),
    "hukou_choice": _("Choose one of 本地城镇, 本地农村, 外地城镇, 外地农村."),
    "base_number": _("Give an amount in yuan, such as 6000.00."),
    "base_decimals": _("Give at most 2 decimals."),
    "base_below": _("Below the lower bound of %(lower)s yuan (%(city)s, %(year)s)."),
    "base_above": _("Above the upper bound of %(upper)s yuan (%(city)s, %(year)s)."),
    "base_unknown": _("No contribution bounds are on file for the enterprise's city."),
    "month_format": _("Give the month as YYYY-MM, such as 2026-01."),
    "month_before_establishment": _("Before the enterprise was established (%(established)s)."),
    "month_too_far": _("More than %(months)s months ahead (latest %(latest)s)."),
    "missing_column": _("The column “%(column)s” is missing from the header."),
    "empty": _("The file is empty."),
    "file_type": _("This is not an .xlsx or .csv file; the type is checked by content, not by name."),
    "old_excel": _("This is an old Excel file (.xls): save it as .xlsx or .csv and upload again."),
    "unreadable": _("The file cannot be read: it may be damaged."),
    "too_large": _("The file is larger than %(mb)s MB."),
    "too_many_rows": _("More than %(limit)s employees in one roster: split it into several files."),
    "no_header": _("The file has no header line."),
    "no_rows": _("The roster lists no employees."),
}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str  # a column key, or "" for the file as a whole
    code: str
    value: str = ""
    params: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "code": self.code, "value": self.value,
                "params": dict(self.params or {})}


@dataclass(frozen=True)
class EmployeeRow:
    line: int
    name: str
    id_number: str
    hukou_type: str
    contribution_base: Decimal
    start_month: dt.date


@dataclass(frozen=True)
class Context:
    """What the checks need to know beyond the row: the enterprise's city, age and enrolled employees."""

    policy: RosterPolicy
    city: str
    today: dt.date
    established: dt.date | None
    enrolled: Mapping[str, str]  # ID number → enrolment number


def describe(error: Mapping[str, Any]) -> str:
    """The stored error's message in the active language."""
    message = MESSAGES.get(str(error.get("code")), _("Not accepted."))
    params = error.get("params") or {}
    return str(message) % params if params else str(message)


def column_label(key: str) -> str:
    column = COLUMN_BY_KEY.get(key)
    return str(column.label) if column is not None else ""


def _normal_header(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


_ALIASES = {_normal_header(alias): c.key for c in COLUMNS for alias in c.aliases}


def map_header(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    """Column key → cell index; every missing column is an error on line 1."""
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _ALIASES.get(_normal_header(text))
        if key is not None and key not in found:
            found[key] = index
    missing = [RowError(1, c.key, "missing_column", params={"column": c.header}) for c in COLUMNS if c.key not in found]
    return found, missing


def _shown(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _is_formula(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.lstrip()
    if text[:1] in ("=", "+", "@") and len(text) > 1:
        return not _looks_numeric(text)
    return text.startswith("-") and len(text) > 1 and not _looks_numeric(text)


def _looks_numeric(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d[\d,]*(\.\d+)?", text.strip()) is not None


_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fA-Za-z·]+(?: [A-Za-z·]+)*")


def _name(value: Any) -> tuple[str, str]:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"[•・‧∙]", "·", text)
    text = re.sub(r" {2,}", " ", text)
    if not 2 <= len(text) <= 30:
        return text, "name_length"
    if not _NAME.fullmatch(text):
        return text, "name_chars"
    return text, ""


def _id_number(value: Any, today: dt.date) -> tuple[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "", "id_number_numeric"
    try:
        return validate_resident_id(str(value), today=today), ""
    except InvalidResidentId as exc:
        return "", f"id_{exc.code}"


def _hukou(value: Any) -> tuple[str, str]:
    text = unicodedata.normalize("NFKC", str(value)).replace(" ", "").replace("-", "").lower()
    key = _HUKOU_LOOKUP.get(text)
    return (key, "") if key else ("", "hukou_choice")


def _amount(value: Any) -> tuple[Decimal | None, str]:
    if isinstance(value, bool):
        return None, "base_number"
    if isinstance(value, float):
        text = repr(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").removesuffix("元").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, "base_number"
    if not amount.is_finite() or amount.copy_abs() >= Decimal("1e15"):
        return None, "base_number"
    if amount != amount.quantize(Decimal("0.01")):
        return None, "base_decimals"
    return amount.quantize(Decimal("0.01")), ""


_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


def _month(value: Any) -> tuple[dt.date | None, str]:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1), ""
    match = _MONTH.fullmatch(unicodedata.normalize("NFKC", str(value)).strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None, "month_format"
    return dt.date(int(match.group(1)), int(match.group(2)), 1), ""


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _base_error(amount: Decimal, bounds: Bounds | None) -> tuple[str, dict[str, Any]]:
    if bounds is None:
        return "base_unknown", {}
    where = {"city": bounds.region_name, "year": bounds.year}
    if amount < bounds.lower:
        return "base_below", {**where, "lower": f"{bounds.lower:,.2f}"}
    if amount > bounds.upper:
        return "base_above", {**where, "upper": f"{bounds.upper:,.2f}"}
    return "", {}


class RowChecker:
    """Check rows one by one, remembering the ID numbers seen so far."""

    def __init__(self, columns: dict[str, int], context: Context) -> None:
        self.columns = columns
        self.context = context
        self.seen: dict[str, int] = {}
        self.latest = _add_months(context.today.replace(day=1), context.policy.months_ahead)
        # The template's example person (name and ID number): left in by mistake, never enrolled.
        self.example = (COLUMN_BY_KEY["name"].example, COLUMN_BY_KEY["id_number"].example)

    def _cell(self, cells: list[Any], key: str) -> Any:
        index = self.columns[key]
        value = cells[index] if index < len(cells) else None
        return value.strip() if isinstance(value, str) else value

    def check(self, line: int, cells: list[Any]) -> tuple[EmployeeRow | None, list[RowError]]:
        values = {key: self._cell(cells, key) for key in self.columns}
        errors: list[RowError] = []

        def fail(key: str, code: str, **params: Any) -> None:
            errors.append(RowError(line, key, code, _shown(values.get(key)), params or None))

        if (str(values["name"]), str(values["id_number"]).upper()) == self.example:
            return None, [RowError(line, "", "example_row")]
        for column in COLUMNS:
            value = values[column.key]
            if value is None or value == "":
                fail(column.key, "required")
            elif _is_formula(value):
                fail(column.key, "formula")
        failed = {e.field for e in errors}
        name, code = ("", "") if "name" in failed else _name(values["name"])
        if code:
            fail("name", code)
        id_number, code = ("", "") if "id_number" in failed else _id_number(values["id_number"], self.context.today)
        if code:
            fail("id_number", code)
        elif id_number:
            if id_number in self.seen:
                fail("id_number", "duplicate", line=self.seen[id_number])
            elif id_number in self.context.enrolled:
                fail("id_number", "already_enrolled", number=self.context.enrolled[id_number])
            self.seen.setdefault(id_number, line)
        hukou, code = ("", "") if "hukou_type" in failed else _hukou(values["hukou_type"])
        if code:
            fail("hukou_type", code)
        month, code = (None, "") if "start_month" in failed else _month(values["start_month"])
        if code:
            fail("start_month", code)
        elif month is not None:
            established = self.context.established
            if established is not None and month < established.replace(day=1):
                fail("start_month", "month_before_establishment", established=f"{established:%Y-%m-%d}")
            elif month > self.latest:
                fail("start_month", "month_too_far", months=self.context.policy.months_ahead,
                     latest=f"{self.latest:%Y-%m}")
        amount, code = (None, "") if "contribution_base" in failed else _amount(values["contribution_base"])
        if code:
            fail("contribution_base", code)
        elif amount is not None:
            bounds = self.context.policy.bounds_for(self.context.city, month or self.context.today.replace(day=1))
            code, params = _base_error(amount, bounds)
            if code:
                fail("contribution_base", code, **params)
        if errors or month is None or amount is None:
            return None, errors
        return EmployeeRow(line, name, id_number, hukou, amount, month), []


def check_rows(rows: list[tuple[int, list[Any]]], columns: dict[str, int], context: Context,
               progress: Callable[[int], None] | None = None) -> tuple[list[EmployeeRow], list[RowError]]:
    """Check every row; return the clean employees and every error (a roster is used whole or not at all)."""
    checker = RowChecker(columns, context)
    clean: list[EmployeeRow] = []
    errors: list[RowError] = []
    for done, (line, cells) in enumerate(rows, start=1):
        row, row_errors = checker.check(line, cells)
        if row is not None:
            clean.append(row)
        errors += row_errors
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    return clean, errors
