"""Helpers for bundle tests: fill a merged form from its schema, submit, act as reviewer or agent."""

from __future__ import annotations

import io
import itertools
from typing import Any

from qinqing.accounts.models import User
from qinqing.bundles import services
from qinqing.bundles.definitions import DefinitionError, merge
from qinqing.bundles.models import Bundle, BundleStep
from qinqing.cases import services as case_services
from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.tests.support import PDF_BYTES, enterprise, field_value, new_key
from qinqing.cases.uploads import CheckedUpload, check_upload
from qinqing.cases.workflow import Status
from qinqing.catalog.models import Matter

INDUSTRIAL = "industrial-project"
SOCIAL = "social-insurance-housing-fund"
RESTAURANT = "licence-restaurant"
NEW_ENTERPRISE = 5  # founded 2026, holds no social-insurance or housing-fund account yet
MANUFACTURER = 1  # holds a land-transfer contract; has authorised the demo project agent
OUTSIDER = 0  # another demo enterprise: has authorised no agent, owns none of the bundles under test
LAND_CONTRACT = "land_contract"
INDUSTRIAL_AGENT_STEPS = ("land_planning", "land_title", "engineering_planning", "fire_design", "eia", "construction")


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
    return Case.objects.select_related("matter", "matter__department", "enterprise").get(parent=parent, step_key=step)


def statuses(parent: Case) -> dict[str, str]:
    """Step key → status of every child, read afresh."""
    return dict(Case.objects.filter(parent=parent).values_list("step_key", "status"))


def reviewer_for(case: Case) -> User:
    assert case.matter is not None
    return User.objects.get(username=f"{case.matter.department.code.lower()}_reviewer")


def agent() -> User:
    return User.objects.get(username="fgw_agent")


def unauthorised_agent() -> User:
    return User.objects.get(username="scjg_agent")


def actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))


# ----------------------------------------------------------------------------- the industrial chain


def land_contract() -> CheckedUpload:
    """The manufacturer's land-transfer contract, checked as the pages and API check an upload."""
    return check_upload(io.BytesIO(PDF_BYTES), "国有建设用地使用权出让合同.pdf", len(PDF_BYTES))


def submit_industrial(*, with_contract: bool = True, **kwargs: Any) -> Case:
    """The manufacturer applies for the industrial project, uploading its land contract unless told not to."""
    user = enterprise(MANUFACTURER)
    uploads = [(LAND_CONTRACT, land_contract())] if with_contract else []
    return submit_bundle(INDUSTRIAL, user, uploads=uploads, **kwargs)


def decide_filing(parent: Case) -> Case:
    """The filing step approved: automatically when its rules pass, else by the FGW reviewer."""
    filing = child(parent, "filing")
    if filing.status != Status.APPROVED:
        case_services.approve_case(case=filing, reviewer=reviewer_for(filing))
    filing.refresh_from_db()
    return filing


def approve(case: Case) -> Case:
    return case_services.approve_case(case=case, reviewer=reviewer_for(case), note="符合要求")


# ----------------------------------------------------------------------------- a bundle built in the test


def _reviewed_matters() -> list[Matter]:
    return list(Matter.objects.online().filter(automatic=False).select_related("department").order_by("code"))


def _merges(matters: tuple[Matter, ...]) -> bool:
    steps = [BundleStep(key=k, matter=m, requires=[]) for k, m in zip("abc", matters, strict=True)]
    try:
        merge(steps)
    except DefinitionError:
        return False
    return True


def diamond_bundle(code: str = "test-diamond") -> Bundle:
    """A bundle whose step c waits for a and b: reviewed matters of two departments, then a third matter."""
    matters = _reviewed_matters()
    for a, b in itertools.combinations(matters, 2):
        if a.department_id == b.department_id:
            continue
        for c in matters:
            if c.pk in (a.pk, b.pk) or not _merges((a, b, c)):
                continue
            created = Bundle.objects.create(code=code, name="测试并联后汇合", lead_department=a.department)
            BundleStep.objects.create(bundle=created, key="a", matter=a, order=0)
            BundleStep.objects.create(bundle=created, key="b", matter=b, order=1)
            BundleStep.objects.create(bundle=created, key="c", matter=c, order=2, requires=["a", "b"])
            return created
    raise AssertionError("the catalog has no two reviewed matters of different departments that merge")


def submit_step(*, case: Any, user: Any, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """The agent submits a prepared step, ticking the step's commitments itself (they are never carried over)."""
    from qinqing.bundles import services
    from qinqing.catalog.models import FormField

    ticked = {f.key: True for f in case.matter.fields.all() if f.type == FormField.Type.BOOLEAN and f.required}
    return services.submit_prepared_step(case=case, user=user, data={**ticked, **(data or {})}, **kwargs)
