"""Helpers for roster tests: an approved enrolment case, rosters as .csv or .xlsx bytes, valid people."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from qinqing.accounts.models import User
from qinqing.cases.models import Case
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.tests.support import enterprise, form_data, submit
from qinqing.catalog.models import Matter
from qinqing.core.ids import generate_resident_id

HEADER = ["姓名", "居民身份证号码", "户籍性质", "月缴费基数（元）", "参保起始年月"]
NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def roster_matter() -> Matter:
    """The matter that takes a roster, as the roster policy data names it."""
    return Matter.objects.get(code=sorted(roster_policy().matters)[0])


def approved_enrolment_case(index: int = 0) -> Case:
    """An approved 职工参保登记 case of the index-th demo enterprise (one employee typed in the form)."""
    matter = roster_matter()
    user = enterprise(index)
    data = form_data(matter, employee_name="王小明", id_number=person_id(99_999),
                     handler_phone="13800138000", not_pensioner=True, commitment=True)
    case = submit(user, matter, data)
    assert case.status == "approved", case.verdict
    return case


def person_id(n: int) -> str:
    """The n-th distinct valid ID number (birth dates and serials spread over 1960–2005)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=n % 16_000)
    return generate_resident_id(division="330108", born=born, serial=n // 16_000 * 7 + 1)


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def person_row(n: int, **overrides: Any) -> list[Any]:
    row = {"name": NAMES[n % len(NAMES)] + NAMES[(n // len(NAMES)) % len(NAMES)] + "明",
           "id_number": person_id(n), "hukou_type": "本地城镇", "contribution_base": "6000.00",
           "start_month": this_month()}
    row.update(overrides)
    return [row["name"], row["id_number"], row["hukou_type"], row["contribution_base"], row["start_month"]]


def people(count: int, start: int = 0) -> list[list[Any]]:
    return [person_row(n) for n in range(start, start + count)]


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def owner_of(case: Case) -> User:
    return User.objects.get(pk=case.applicant_id)
