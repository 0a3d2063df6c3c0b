"""Case, review and licence endpoints; every query scoped to what the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from qinqing.accounts.http import request_user
from qinqing.cases import services
from qinqing.cases.errors import CaseInvalid, NotAnEnterprise
from qinqing.cases.formdata import Prefill
from qinqing.cases.models import Case, Licence, Material
from qinqing.cases.pdf import licence_pdf_response
from qinqing.cases.queries import (
    case_detail,
    case_summary,
    cases_for,
    for_summaries,
    platform_stats,
    prefill_for,
    review_queue,
)
from qinqing.cases.search import DEADLINE_FIRST, page_of, parse_filter
from qinqing.cases.signing import current_key_id, public_key_pem
from qinqing.cases.uploads import check_upload, material_download
from qinqing.cases.verification import normalise_licence_number, verify_licence
from qinqing.catalog import cache as catalog_cache
from qinqing.catalog.queries import base_matters
from qinqing.core import ratelimit
from qinqing.core.api import ErrorOut, IdempotencyKey
from qinqing.core.errors import Forbidden
from qinqing.core.paging import DEFAULT_LIMIT

router = Router(tags=["cases"])
public = Router(tags=["public"])

class StatsOut(Schema):
    matters_online: int
    matters_automatic: int
    cases: int
    service_uses: int
    enterprises_served: int


class PrefillSourceOut(Schema):
    """Where a prefilled value comes from (the same shape a case's `prefill_sources` carries)."""

    source: str
    source_name: str
    as_of: dt.datetime


class MissingDataOut(Schema):
    """A government source that holds no record of the enterprise, and the fields left to fill in by hand."""

    source_name: str
    fields: list[str]


class PrefillOut(Schema):
    data: dict[str, Any]
    sources: dict[str, PrefillSourceOut]
    editable: dict[str, bool]
    missing: list[MissingDataOut] = []


class CaseIn(Schema):
    matter: str
    data: dict[str, Any] = {}

    model_config = {"extra": "forbid"}


class DecisionOut(Schema):
    outcome: Literal["approved", "referred"]
    reasons: list[str]
    rule_set_version: str | None = None
    trace: list[dict[str, Any]] = []


class LicenceOut(Schema):
    number: str
    title: str
    holder: str
    issued_at: dt.datetime
    valid_until: dt.date | None = None
    status: str
    pdf_url: str
    verify_url: str


class CaseSummaryOut(Schema):
    id: int
    number: str
    status: str
    matter: str | None = None
    matter_name: str
    bundle: str | None = None
    step: str | None = None
    parent_id: int | None = None
    enterprise: str
    submitted_at: dt.datetime
    due_at: dt.datetime
    statutory_due_at: dt.datetime
    decided_at: dt.datetime | None = None
    overdue: bool
    paused: bool
    # Counted over a year whose holiday notice is not loaded yet: it may still move (暂定).
    deadline_provisional: bool = False


class EventOut(Schema):
    at: dt.datetime
    actor: str
    acting_for: str
    action: str
    action_label: str
    from_status: str
    to_status: str
    note: str


class FromDataOut(Schema):
    source: str
    source_name: str
    record: str
    as_of: dt.datetime | None = None


class CaseMaterialOut(Schema):
    id: int
    name: str
    requirement: str | None = None
    content_type: str
    size: int
    uploaded_at: dt.datetime
    for_supplement: bool
    from_data: FromDataOut | None = None


class RelativeOut(Schema):
    id: int
    number: str
    status: str
    step: str | None = None
    matter: str | None = None
    title: str
    bundle: str | None = None
    due_at: dt.datetime
    decided_at: dt.datetime | None = None


class ParentOut(RelativeOut):
    steps: list[RelativeOut]


class ProgressStepOut(Schema):
    id: int
    number: str
    step: str
    matter: str | None = None
    title: str
    status: str
    status_label: str
    decided_at: dt.datetime | None = None


class ProgressOut(Schema):
    """A 一件事 parent's progress: step counts by state and every step's status."""

    total: int
    approved: int
    open: int
    waiting: int
    failed: int
    finished: bool
    steps: list[ProgressStepOut]


class CaseOut(CaseSummaryOut):
    acting_for: str
    data: dict[str, Any]
    prefill_sources: dict[str, Any]
    # A single matter's case has a decision; a 一件事 parent has none, only its progress.
    decision: DecisionOut | None = None
    progress: ProgressOut | None = None
    decision_note: str
    licence: LicenceOut | None = None
    events: list[EventOut]
    materials: list[CaseMaterialOut]
    parent: ParentOut | None = None
    children: list[RelativeOut] = []


class DecisionIn(Schema):
    outcome: Literal["approve", "reject", "supplement"]
    note: str = ""

    model_config = {"extra": "forbid"}


class LicenceFieldOut(Schema):
    """One of the matter's facts a licence states, as signed: the form key, its label and the stated value."""

    key: str
    label: str
    value: str


class VerifyOut(Schema):
    """Valid only when every check passes; the facts are those of the signed payload, absent if it fails.

    `problems`: `signature` (the payload does not verify), `qr` (the QR code's signature `s` is not this
    licence's), `record_altered` (the row differs from what was signed, see `discrepancies`), `revoked`,
    `expired` (past the signed `valid_until`).
    """

    number: str
    status: Literal["valid", "invalid", "revoked", "expired", "unknown"]
    valid: bool = False
    problems: list[Literal["signature", "qr", "record_altered", "revoked", "expired"]] = []
    qr_valid: bool | None = None
    discrepancies: list[str] = []
    holder: str | None = None
    uscc: str | None = None
    title: str | None = None
    matter: str | None = None
    matter_name: str | None = None
    issuer: str | None = None
    issued_at: dt.datetime | None = None
    valid_until: dt.date | None = None
    revoked_at: dt.datetime | None = None
    signature_valid: bool | None = None
    fields: list[LicenceFieldOut] = []
    payload: dict[str, Any] | None = None
    signature: str | None = None


class PublicKeyOut(Schema):
    algorithm: str
    public_key_pem: str
    key_id: str
    keys_url: str


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(cases_for(request_user(request)), pk=case_id)


def _detail(case_id: int) -> dict[str, Any]:
    case = Case.objects.select_related(
        "matter", "matter__department", "enterprise", "rule_set_version", "rule_set_version__rule_set"
    ).prefetch_related("events").get(pk=case_id)
    return case_detail(case)


@public.get("/stats", response={200: StatsOut, **ERRORS}, auth=None)
def stats(request: HttpRequest) -> dict[str, int]:
    """The platform's headline counters, computed from the database."""
    return platform_stats()


@public.get("/licences/{number}/verify", response={200: VerifyOut, 429: ErrorOut, **ERRORS}, auth=None)
def verify(request: HttpRequest, number: str, s: str | None = None) -> dict[str, Any]:
    """Verify a licence by number (and `s`, the signature a QR code carries): status, problems, signed facts."""
    ratelimit.limit(request, scope="verify", per_minute=settings.QINQING_VERIFY_PER_MINUTE)
    return verify_licence(number, qr_signature=s)


@public.get("/licences/public-key", response={200: PublicKeyOut, **ERRORS}, auth=None)
def public_key(request: HttpRequest) -> dict[str, str]:
    """The Ed25519 public key that verifies every licence signature offline (all keys: `keys_url`)."""
    return {"algorithm": "Ed25519", "public_key_pem": public_key_pem(), "key_id": current_key_id(),
            "keys_url": request.build_absolute_uri("/licences/keys/")}


@router.get("/matters/{code}/prefill", response={200: PrefillOut, **ERRORS})
def prefill(request: HttpRequest, code: str) -> Prefill:
    """What government already holds for this matter's form, and where each value comes from."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise NotAnEnterprise(_("Only an enterprise account can apply."))
    matter = get_object_or_404(base_matters(), code=code)
    return prefill_for(matter, user.enterprise.uscc)


@router.post("/cases", response={201: CaseOut, **ERRORS})
def submit(
    request: HttpRequest, body: CaseIn,
    idempotency_key: IdempotencyKey,
) -> Status[dict[str, Any]]:
    """Apply for a matter; decided in the same request when its automatic rules all pass."""
    matter = catalog_cache.online_matter(body.matter)
    if matter is None:
        raise CaseInvalid(_("Unknown matter."), errors={"matter": [_("No online matter has this code.")]})
    case, created = services.submit_case(
        applicant=request_user(request), matter=matter, data=body.data,
        idempotency_key=idempotency_key.strip(),
    )
    # A fresh case is answered from the objects the service just wrote; a replay is read back.
    return Status(201, case_detail(services.as_written(case)) if created else _detail(case.pk))


@router.get("/cases", response={200: list[CaseSummaryOut], **ERRORS})
def list_cases(
    request: HttpRequest, response: HttpResponse, status: str = "", matter: str = "", department: str = "",
    submitted_from: str = "", submitted_to: str = "", number: str = "", q: str = "", cursor: str = "",
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """The caller's cases (an enterprise's own, a reviewer's department's, a street's), newest first, a page
    at a time.

    Filters: `status`, `matter` (code), `department` (code), `submitted_from` / `submitted_to` (dates,
    inclusive, Asia/Shanghai), `number` (case-number prefix), `q` (a USCC, a case-number prefix or part of
    the enterprise's name). At most `limit` (≤ 200) cases; when there are more, the `Link` header carries
    the `rel="next"` page (and `X-Next-Cursor` its cursor), stable while new cases arrive.
    """
    params = {"status": status, "matter": matter, "department": department, "submitted_from": submitted_from,
              "submitted_to": submitted_to, "number": number, "q": q}
    page = page_of(for_summaries(cases_for(request_user(request))), parse_filter(params), cursor=cursor, limit=limit)
    _link_next(request, response, page.next_cursor)
    return [case_summary(c) for c in page.items]


def _link_next(request: HttpRequest, response: HttpResponse, cursor: str | None) -> None:
    if cursor is None:
        return
    query = request.GET.copy()
    query["cursor"] = cursor
    response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'
    response["X-Next-Cursor"] = cursor


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """One case with its decision, timeline, materials and licence."""
    return _detail(_visible_case(request, case_id).pk)


@router.post("/cases/{case_id}/materials", response={201: CaseOut, **ERRORS})
def upload_material(
    request: HttpRequest, case_id: int, file: File[UploadedFile], requirement: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Upload a material (answering a supplement request resumes the case)."""
    case = _visible_case(request, case_id)
    checked = check_upload(file, file.name or "file", file.size)
    services.add_materials(case=case, user=request_user(request), uploads=[(requirement.strip(), checked)])
    return Status(201, _detail(case.pk))


@router.get("/cases/{case_id}/materials/{material_id}", response={200: None, **ERRORS})
def download_material(request: HttpRequest, case_id: int, material_id: int) -> FileResponse:
    """Download one material of a case the caller may see."""
    case = _visible_case(request, case_id)
    material = get_object_or_404(Material, pk=material_id, case=case)
    if material.from_data or not material.file:
        raise Http404  # a record held in shared data, not a file
    return material_download(material)


@router.post("/cases/{case_id}/withdraw", response={200: CaseOut, **ERRORS})
def withdraw(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Withdraw an application before it is decided."""
    case = _visible_case(request, case_id)
    services.withdraw_case(case=case, user=request_user(request))
    return _detail(case.pk)


@router.get("/review/queue", response={200: list[CaseSummaryOut], **ERRORS})
def queue(
    request: HttpRequest, response: HttpResponse, matter: str = "", submitted_from: str = "",
    submitted_to: str = "", number: str = "", q: str = "", cursor: str = "", limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """A reviewer's department queue, earliest deadline first, a page at a time (filters and `Link` as for
    `GET /cases`)."""
    user = request_user(request)
    if not user.is_reviewer:
        raise Forbidden(_("Only reviewers have a queue."), code="reviewer_only")
    params = {"matter": matter, "submitted_from": submitted_from, "submitted_to": submitted_to,
              "number": number, "q": q}
    page = page_of(for_summaries(review_queue(user)), parse_filter(params), ordering=DEADLINE_FIRST, cursor=cursor,
                   limit=limit)
    _link_next(request, response, page.next_cursor)
    return [case_summary(c) for c in page.items]


@router.post("/cases/{case_id}/decision", response={200: CaseOut, **ERRORS})
def decide(request: HttpRequest, case_id: int, body: DecisionIn) -> dict[str, Any]:
    """A reviewer approves, rejects (with reason) or requests a supplement."""
    user = request_user(request)
    if not user.is_reviewer:
        raise Http404
    case = _visible_case(request, case_id)
    if body.outcome == "approve":
        services.approve_case(case=case, reviewer=user, note=body.note)
    elif body.outcome == "reject":
        services.reject_case(case=case, reviewer=user, note=body.note)
    else:
        services.request_supplement(case=case, reviewer=user, note=body.note)
    return _detail(case.pk)


@router.get("/licences/{number}/pdf", response={200: None, **ERRORS})
def download_licence(request: HttpRequest, number: str) -> HttpResponse:
    """The e-licence as a PDF (Chinese text, QR code to the public verification page)."""
    licences = Licence.objects.visible_to(request_user(request)).select_related("matter", "enterprise")
    licence = get_object_or_404(licences, number=normalise_licence_number(number))
    return licence_pdf_response(licence, request)
