"""Helpers of the data hub tests: logins, valid rows, CSV bodies."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Mapping
from typing import Any

from django.test import Client

from qinqing.accounts.models import Role, User
from qinqing.accounts.services import create_staff, issue_token
from qinqing.core.ids import generate_uscc
from qinqing.web.demo import demo_uscc

PASSWORD = "Qinqing@2026"


def enterprise(index: int) -> User:
    return User.objects.select_related("enterprise").get(username=demo_uscc(index))


def reviewer(department: str) -> User:
    return User.objects.get(username=f"{department.lower()}_reviewer")


def staff(username: str, *, department: str | None = "SCJG", roles: Iterable[str] = ()) -> User:
    return create_staff(username=username, password=PASSWORD, department=department, roles=list(roles),
                        region="330100", display_name=username)


def importer() -> User:
    return staff("test_importer", department="SCJG", roles=[Role.DATA_IMPORTER])


def agent(username: str = "test_agent", department: str = "MZJ") -> User:
    """A government agent (代办员) of a department that reads no source of its own."""
    return staff(username, department=department, roles=[Role.AGENT])


def client_for(user: User, **headers: str) -> Client:
    key, _ = issue_token(user=user)
    return Client(headers={"Authorization": f"Bearer {key}", **headers})


def new_uscc(seed: int) -> str:
    return generate_uscc(division="330108", rng=random.Random(seed))


def registry_row(uscc: str, **changes: Any) -> dict[str, Any]:
    row = {
        "uscc": uscc, "name": "杭州测试科技有限公司", "legal_representative": "张三", "registered_capital": "1000000.00",
        "industry_code": "I6513", "industry_name": "应用软件开发", "entity_type": "有限责任公司（自然人投资或控股）",
        "address": "浙江省杭州市滨江区长河街道江南大道1号", "region_code": "330108002002",
        "established_on": "2020-01-02", "status": "存续",
    }
    row.update(changes)
    return row


def land_row(uscc: str, contract_no: str, **changes: Any) -> dict[str, Any]:
    row = {
        "uscc": uscc, "contract_no": contract_no, "parcel_no": "滨政储出〔2026〕99号",
        "location": "滨江区浦沿街道测试地块", "area": "12000.50", "use": "工业用地", "price": "18000000.00",
        "signed_on": "2026-04-01", "term_years": "50", "plot_ratio": "2.00", "building_density": "40.00",
        "green_ratio": "15.00",
    }
    row.update(changes)
    return row


def csv_body(rows: list[Mapping[str, Any]], columns: list[str] | None = None, *, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")
