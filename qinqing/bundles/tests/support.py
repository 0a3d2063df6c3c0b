"""Helpers for bundle tests: fill a merged form from its schema, submit, act as reviewer or agent."""

from __future__ import annotations

from typing import Any

from qinqing.accounts.models import User
from qinqing.bundles import services
from qinqing.bundles.models import Bundle
from qinqing.cases.models import Case
from qinqing.cases.tests.support import enterprise, field_value, new_key

INDUSTRIAL = "industrial-project"
SOCIAL = "social-insurance-housing-fund"
NEW_ENTERPRISE = 5  # founded 2026, holds no social-insurance or housing-fund account yet
MANUFACTURER = 1  # holds a land-transfer contract; has authorised the demo project agent


def bundle(code: str) -> Bundle:
    return Bundle.objects.get(code=code)


def merged_data(code: str, user: User, **overrides: Any) -> dict[str, Any]:
    """Values for every merged field government data does not fill for this enterprise."""
    from qinqing.bundles.queries import bundle_prefill

    b = bundle(code)
    form = services.merged_form(b)
    held = bundle_prefill(b, user.enterprise.uscc)["data"] if user.enterprise else {}
    data = {m.key: field_value(m.field) for m in form.fields if m.key not in held}
    data.update(overrides)
    return data


def submit_bundle(code: str, user: User | None = None, data: dict[str, Any] | None = None, **kwargs: Any) -> Case:
    user = user or enterprise(NEW_ENTERPRISE)
    parent, _created = services.submit_bundle(
        user=user, bundle=bundle(code), data=merged_data(code, user) if data is None else data,
        idempotency_key=kwargs.pop("idempotency_key", new_key()), **kwargs,
    )
    return parent


def child(parent: Case, step: str) -> Case:
    return Case.objects.select_related("matter", "matter__department").get(parent=parent, step_key=step)


def reviewer_for(case: Case) -> User:
    assert case.matter is not None
    return User.objects.get(username=f"{case.matter.department.code.lower()}_reviewer")


def agent() -> User:
    return User.objects.get(username="fgw_agent")
