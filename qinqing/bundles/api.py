"""一件事 endpoints: definitions with their computed reduction, prefill, one submission for the whole chain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.bundles import services
from qinqing.bundles.errors import BundleInvalid
from qinqing.bundles.queries import bundle_detail, bundle_prefill, bundle_summary, online_bundles, parents_for
from qinqing.cases.api import ERRORS, CaseOut, PrefillOut
from qinqing.cases.errors import NotAnEnterprise
from qinqing.cases.formdata import Prefill
from qinqing.cases.models import Case
from qinqing.cases.queries import case_detail
from qinqing.core.api import IdempotencyKey

router = Router(tags=["bundles"])


class CountOut(Schema):
    separate: int
    bundled: int
    saved_percent: float


class FieldCountOut(CountOut):
    asked_once: int
    from_data: int
    from_earlier_steps: int


class MaterialCountOut(CountOut):
    satisfied_by: dict[str, int]


class ReductionOut(Schema):
    fields: FieldCountOut
    materials: MaterialCountOut


class BundleSummaryOut(Schema):
    code: str
    name: str
    summary: str
    lead_department: str
    government_acts: bool
    steps: int
    departments: list[str]
    reduction: ReductionOut
    confidence: str


class StepMaterialOut(Schema):
    code: str
    name: str
    required: bool
    satisfied_by: str | None = None


class StepOut(Schema):
    key: str
    matter: str
    matter_name: str
    department: str
    requires: list[str]
    performer: str
    level: int
    automatic: bool
    promised_limit: int
    promised_unit: str
    statutory_limit: int
    statutory_unit: str
    licence_name: str
    note: str
    fields: int
    asked_fields: list[str]
    from_earlier_steps: dict[str, str]
    materials: list[StepMaterialOut]


class DisabledStepOut(Schema):
    key: str
    matter: str
    matter_name: str
    note: str


class BundleChoiceOut(Schema):
    value: str
    label: str


class BundleFieldOut(Schema):
    key: str
    label: str
    type: str
    kind: str = ""
    unit: str = ""
    required: bool
    choices: list[BundleChoiceOut]
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    max_length: int | None = None
    prefill: str | None = None
    editable: bool
    help: str
    steps: list[str]


class StepFormOut(Schema):
    key: str
    matter_name: str
    fields: list[BundleFieldOut]


class MergedFormOut(Schema):
    shared: list[BundleFieldOut]
    steps: list[StepFormOut]


class UploadOut(Schema):
    code: str
    name: str
    note: str
    steps: list[str]


class BundleOut(BundleSummaryOut):
    basis: str
    dag: list[StepOut]
    disabled_steps: list[DisabledStepOut]
    form: MergedFormOut
    materials: list[UploadOut]


class BundleIn(Schema):
    data: dict[str, Any] = {}
    acting_for: str = ""
    agent: str = ""

    model_config = {"extra": "forbid"}


@router.get("/bundles", response={200: list[BundleSummaryOut], **ERRORS}, auth=None)
def list_bundles(request: HttpRequest) -> list[dict[str, Any]]:
    """Every 一件事 online, with its steps, departments and the computed reduction."""
    return [bundle_summary(b) for b in online_bundles()]


@router.get("/bundles/{code}", response={200: BundleOut, **ERRORS}, auth=None)
def get_bundle(request: HttpRequest, code: str) -> dict[str, Any]:
    """One 一件事: its matters, their dependency graph, the merged form schema and the reduction."""
    return bundle_detail(get_object_or_404(online_bundles(), code=code))


@router.get("/bundles/{code}/prefill", response={200: PrefillOut, **ERRORS})
def prefill(request: HttpRequest, code: str, acting_for: str = "") -> Prefill:
    """What government already holds for the merged form (for the enterprise, or an agent acting for it)."""
    bundle = get_object_or_404(online_bundles(), code=code)
    enterprise, _authorisation = services.acting_enterprise(request_user(request), bundle, acting_for)
    return bundle_prefill(bundle, enterprise.uscc)


@router.post("/bundles/{code}/submissions", response={201: CaseOut, 200: CaseOut, **ERRORS})
def submit(
    request: HttpRequest, code: str, body: BundleIn,
    idempotency_key: IdempotencyKey,
) -> Status[dict[str, Any]]:
    """Apply once for the whole 一件事: a parent case and one child case per matter, in one transaction."""
    bundle = get_object_or_404(online_bundles(), code=code)
    user = request_user(request)
    agent = None
    if body.agent:
        agent = User.objects.filter(username=body.agent, is_active=True).first()
        if agent is None or not agent.is_agent:
            raise BundleInvalid(_("Choose a government agent."), errors={"agent": [_("Choose a government agent.")]})
    if not (user.is_enterprise or user.is_agent):
        raise NotAnEnterprise(_("Only an enterprise, or an agent it authorised, can apply."))
    parent, created = services.submit_bundle(
        user=user, bundle=bundle, data=body.data, idempotency_key=idempotency_key.strip(),
        acting_for=body.acting_for.strip(), agent=agent,
    )
    detail = case_detail(Case.objects.select_related("enterprise").get(pk=parent.pk))
    return Status(201 if created else 200, detail)


class PreparedStepIn(Schema):
    data: dict[str, Any] = {}

    model_config = {"extra": "forbid"}


@router.post("/bundles/cases/{case_id}/withdraw", response={200: CaseOut, **ERRORS})
def withdraw(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The enterprise withdraws a whole 一件事: open steps are withdrawn, waiting ones never start."""
    user = request_user(request)
    parent = get_object_or_404(parents_for(user), pk=case_id)
    services.withdraw_bundle(parent=parent, user=user)
    return case_detail(Case.objects.select_related("enterprise").get(pk=parent.pk))


@router.post("/bundles/steps/{case_id}/submit", response={200: CaseOut, **ERRORS})
def submit_step(request: HttpRequest, case_id: int, body: PreparedStepIn) -> dict[str, Any]:
    """An authorised agent (or the enterprise) completes a step waiting to be prepared and submits it."""
    user = request_user(request)
    case = get_object_or_404(Case.objects.visible_to(user), pk=case_id)
    services.submit_prepared_step(case=case, user=user, data=body.data)
    return case_detail(Case.objects.select_related("matter", "enterprise").get(pk=case.pk))
