"""Shared helpers of the policies tests: officers, a fresh policy, the sandbox bank."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import Enterprise, User
from qinqing.core import events
from qinqing.policies.models import Policy
from qinqing.policies.services import create_policy, publish_policy
from qinqing.policies.services.rematch import CONSUMER
from qinqing.web.demo import demo_uscc

ACTIVE = {"key": "active", "label": "登记状态为存续或在业", "failure": "企业登记状态不是存续或在业",
          "facts": ["registry.status"], "expr": {"in": [{"var": "registry.status"}, ["存续", "在业"]]}}


def officer(department: str = "rsj") -> User:
    return User.objects.get(username=f"{department}_officer")


def enterprise_user(index: int) -> User:
    return User.objects.get(username=demo_uscc(index))


def enterprise(index: int) -> Enterprise:
    return Enterprise.objects.get(uscc=demo_uscc(index))


def policy_data(**overrides: Any) -> dict[str, Any]:
    """A valid policy: 1,000 yuan per graduate hired, capped at 10,000, for every enterprise of Hangzhou."""
    data: dict[str, Any] = {
        "title": "测试政策：新招用高校毕业生补贴", "document_number": "杭人社发〔2026〕99号", "region": "330100",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31", "mode": "automatic", "budget": "100000",
        "eligibility": [ACTIVE, {"key": "hired", "label": "当年新招用高校毕业生", "failure": "没有新招用高校毕业生",
                                 "facts": ["annual.graduates_hired"],
                                 "expr": {">=": [{"var": "annual.graduates_hired"}, 1]}}],
        "amount": {"expr": {"*": [{"var": "annual.graduates_hired"}, "1000"]}, "cap": "10000"},
        "amount_text": "每人1000元，最高1万元", "period": "year",
    }
    data.update(overrides)
    return data


def published(department: str = "rsj", **overrides: Any) -> Policy:
    """Create and publish a policy, then run the matching consumer as the worker would after commit."""
    who = officer(department)
    policy = create_policy(officer=who, data=policy_data(**overrides))
    publish_policy(policy=policy, officer=who)
    events.consume(CONSUMER)
    policy.refresh_from_db()
    return policy
