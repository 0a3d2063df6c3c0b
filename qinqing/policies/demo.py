"""Demo policies: bank accounts, policy officers, eight policies published at start.

The facts they read (R&D spend, 高新技术, 专精特新, 规上, graduates hired…) are the datahub's
`enterprise_annual` source, loaded with the other demo records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone

from qinqing.accounts.models import Enterprise, Role, User
from qinqing.accounts.services import create_staff
from qinqing.core import events
from qinqing.policies.models import BankAccount, Policy
from qinqing.policies.services import create_policy, process_due_payouts, publish_policy
from qinqing.policies.services.rematch import CONSUMER
from qinqing.policies.workflow import PolicyStatus

DATA_DIR = Path(__file__).resolve().parent / "data"

OFFICERS = (
    ("kjj_officer", "KJJ", "科技局 · 政策专员 刘洋"),
    ("rsj_officer", "RSJ", "人社局 · 政策专员 陈蕾"),
    ("jxj_officer", "JXJ", "经信局 · 政策专员 黄磊"),
)
BANKS = ("中国工商银行杭州高新支行", "中国建设银行杭州滨江支行", "杭州银行科技支行", "浙商银行杭州分行营业部")
NO_ACCOUNT = {5, 6}  # the newly founded enterprise has not given one yet; the revoked one never will


def _account_number(index: int) -> str:
    return f"62220212020{index:02d}{(index * 7919) % 100000:05d}"


def load_demo_policies(*, uscc_for: Callable[[int], str], enterprises: int, password: str) -> dict[str, int]:
    """Officers, bank accounts, eight policies; publish them and pay what 免申即享 owes. Safe to run twice."""
    for username, department, name in OFFICERS:
        if not User.objects.filter(username=username).exists():
            create_staff(username=username, password=password, department=department,
                         roles=[Role.POLICY_OFFICER], region="330100", display_name=name)
    for index in range(enterprises):
        if index in NO_ACCOUNT:
            continue
        enterprise = Enterprise.objects.filter(uscc=uscc_for(index)).first()
        if enterprise is not None and not BankAccount.objects.filter(enterprise=enterprise).exists():
            BankAccount.objects.create(enterprise=enterprise, bank_name=BANKS[index % len(BANKS)],
                                       account_name=enterprise.name, number=_account_number(index),
                                       confirmed_at=timezone.now())
    items: list[dict[str, Any]] = json.loads((DATA_DIR / "policies.json").read_text(encoding="utf-8"))
    created = 0
    for item in items:
        if Policy.objects.filter(code=item["code"]).exists():
            continue
        officer = User.objects.get(username=f"{item['department'].lower()}_officer")
        data = {k: v for k, v in item.items() if k not in {"department", "demo"}}
        policy = create_policy(officer=officer, data=data)
        Policy.objects.filter(pk=policy.pk).update(demo=bool(item.get("demo")))
        publish_policy(policy=policy, officer=officer)
        created += 1
    events.consume(CONSUMER)
    process_due_payouts()
    return {"policies": Policy.objects.filter(status=PolicyStatus.PUBLISHED).count(), "new_policies": created}
