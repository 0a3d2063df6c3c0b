"""Pages: apply, my cases, case detail, licences, public verification, the reviewer's workbench."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import User
from qinqing.cases import services
from qinqing.cases.errors import CaseInvalid, DuplicateApplication, IdempotencyMismatch, LicenceNotVerifiable
from qinqing.cases.explain import explained_trace
from qinqing.cases.formdata import posted_form_data
from qinqing.cases.models import Case, Licence, Material
from qinqing.cases.pdf import licence_pdf_response
from qinqing.cases.publickeys import published_keys, published_pem
from qinqing.cases.queries import (
    application_errors,
    case_detail,
    case_licence,
    cases_for,
    decision_summary,
    due_marks,
    kept_by_material,
    prefill_for,
    review_queue,
)
from qinqing.cases.replay import first_submission
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.roster.queries import enrolled_count
from qinqing.cases.seal import seal_svg
from qinqing.cases.search import DEADLINE_FIRST, NEWEST_FIRST, CaseFilter, page_of, parse_filter
from qinqing.cases.services.duplicates import duplicate_refusal
from qinqing.cases.services.enrolment import takes_roster
from qinqing.cases.uploads import ACCEPTED_LABEL, check_upload, check_uploads, material_download, material_key
from qinqing.cases.verification import normalise_licence_number, verify_licence
from qinqing.cases.workflow import Status
from qinqing.catalog.models import Matter
from qinqing.catalog.queries import base_matters
from qinqing.core import ratelimit
from qinqing.core.errors import DomainError
from qinqing.core.paging import BadCursor
from qinqing.core.web import domain_error_messages

log = logging.getLogger("qinqing.cases")


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """The application form, prefilled from government data; every error at once, nothing typed lost."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise PermissionDenied(_("Only an enterprise account can apply."))
    matter = get_object_or_404(base_matters().prefetch_related("fields", "materials"), code=code)
    prefill = prefill_for(matter, user.enterprise.uscc)
    fields = list(matter.fields.all())
    requirements = list(matter.materials.all())
    values: dict[str, Any] = dict(prefill["data"])
    errors: dict[str, list[str]] = {}
    summary = ""
    existing: dict[str, Any] | None = None
    status = 200
    key = _new_key(request)
    if request.method == "POST":
        data = posted_form_data(request.POST, [(f.key, f) for f in fields])
        values.update(data)
        try:
            case, errors, summary = _submit(request, user, matter, data, key=key,
                                            codes=[r.code for r in requirements])
        except IdempotencyMismatch:
            # This rendering of the form was submitted before (Back, then changed): show what it created.
            return redirect("cases:detail", pk=first_submission(request, user, key))
        except DuplicateApplication as exc:
            case, summary, existing, status = None, str(exc.message), exc.existing, 409
        if case is not None:
            return redirect("cases:detail", pk=case.pk)
        if errors:
            status = 422
    elif matter.limits_duplicates:
        held = services.existing_application(enterprise=user.enterprise, matter=matter)
        if held is not None:
            refusal = duplicate_refusal(matter, held)
            summary, existing = str(refusal.message), refusal.existing
    labels = {f.key: f.display_label for f in fields} | {material_key(r.code): r.display_name for r in requirements}
    return render(request, "cases/apply.html", {
        "matter": matter, "fields": fields, "values": values, "prefill": prefill, "errors": errors,
        "summary": summary, "accepted": ACCEPTED_LABEL, "idempotency_key": key, "labels": labels,
        "kept": kept_by_material(user, key), "requirements": requirements,
        "takes_roster": matter.code in roster_policy().matters,
        "field_keys": [f.key for f in fields], "existing": existing,
    }, status=status)


def _submit(request: HttpRequest, user: User, matter: Matter, data: dict[str, Any], *, key: str,
            codes: list[str]) -> tuple[Case | None, dict[str, list[str]], str]:
    """Check each file, keep the accepted ones against the form's key, submit; (case or None, errors, summary)."""
    assert user.enterprise is not None
    accepted, errors = check_uploads(request.FILES, codes)
    services.keep_uploads(user=user, form_key=key, uploads=accepted)
    uploads = services.kept_uploads(user=user, form_key=key) or accepted
    try:
        if errors:
            errors = {**application_errors(matter, user.enterprise.uscc, data), **errors}
            raise CaseInvalid(_("Please correct the marked fields."), errors=errors)
        case, _created = services.submit_case(
            applicant=user, matter=matter, data=data, idempotency_key=key, uploads=uploads,
        )
    except (IdempotencyMismatch, DuplicateApplication):
        raise  # the page answers these itself
    except DomainError as exc:
        shown = domain_error_messages(exc)
        return None, shown.fields, shown.summary
    services.release_uploads(user=user, form_key=key)
    return case, {}, ""


def _new_key(request: HttpRequest) -> str:
    """The form rendering's key: posted back, or carried over a language switch (`?key=`), else new."""
    return (request.POST.get("idempotency_key") or request.GET.get("key") or secrets.token_urlsafe(16))[:128]


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """我的办件 (an enterprise) or 辖区办件 (street and district staff): filtered, a page at a time."""
    # Steps of a 一件事 are listed on the bundle's own progress page.
    cases = cases_for(request_user(request)).filter(parent__isnull=True)
    listing = _listing(request, cases, NEWEST_FIRST)
    return render(request, "cases/my_cases.html", {**listing, "cases": listing["page"].items,
                                                   "statuses": Status.choices})


def _listing(request: HttpRequest, cases: QuerySet[Case], ordering: tuple[str, str]) -> dict[str, Any]:
    """A filtered page of `cases` for a list page; a bad filter or cursor is reported, not a 500."""
    errors: dict[str, list[str]] = {}
    try:
        wanted = parse_filter(request.GET)
    except CaseInvalid as exc:
        wanted, errors = CaseFilter(), {k: [str(m) for m in v] for k, v in exc.errors.items()}
    cursor = request.GET.get("cursor", "")
    try:
        page = page_of(cases, wanted, ordering=ordering, cursor=cursor)
    except BadCursor as exc:
        errors["cursor"] = [str(exc.message)]
        cursor = ""
        page = page_of(cases, wanted, ordering=ordering)
    query = request.GET.copy()
    query.pop("cursor", None)
    return {"page": page, "filter": wanted, "filter_errors": errors, "query": query.urlencode(),
            "paged": bool(cursor), "params": request.GET}


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: status, deadlines, decision with reasons, timeline, materials, licence."""
    user = request_user(request)
    case = get_object_or_404(cases_for(user).select_related("rule_set_version"), pk=pk)
    if case.is_bundle:
        return redirect(f"/bundles/cases/{case.pk}/")
    return render(request, "cases/detail.html", {
        "case": case, "view": case_detail(case), "decision": decision_summary(case), "checks": explained_trace(case),
        "licence": case_licence(case), "is_owner": user.is_enterprise and case.enterprise_id == user.enterprise_id,
        "is_reviewer": user.is_reviewer, "missing": services.missing_materials(case),
        "requirements": case.matter.materials.all() if case.matter else [], "accepted": ACCEPTED_LABEL, "mark": due_marks(case),
        "takes_roster": takes_roster(case), "enrolled": enrolled_count(case),
    })


@login_required
@require_POST
def add_materials(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    case = get_object_or_404(cases_for(user), pk=pk)
    try:
        code = request.POST.get("requirement", "")
        uploads = [(code, check_upload(f, f.name or "file", f.size)) for f in request.FILES.getlist("file")]
        services.add_materials(case=case, user=user, uploads=uploads)
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("Materials uploaded."))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    case = get_object_or_404(cases_for(user), pk=pk)
    try:
        services.withdraw_case(case=case, user=user)
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer's approve / reject / supplement, from the case page."""
    user = request_user(request)
    if not user.is_reviewer:
        raise Http404
    case = get_object_or_404(cases_for(user), pk=pk)
    outcome = request.POST.get("outcome", "")
    note = request.POST.get("note", "").strip()
    actions: dict[str, Callable[[], Case]] = {
        "approve": lambda: services.approve_case(case=case, reviewer=user, note=note),
        "reject": lambda: services.reject_case(case=case, reviewer=user, note=note),
        "supplement": lambda: services.request_supplement(case=case, reviewer=user, note=note),
    }
    if outcome not in actions:
        messages.error(request, _("Choose a decision."))
        return redirect("cases:detail", pk=case.pk)
    try:
        actions[outcome]()
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("cases:detail", pk=case.pk)


@login_required
def material(request: HttpRequest, pk: int, material_id: int) -> HttpResponse | FileResponse:
    """Download an uploaded material; one supplied from shared data has no file: its case page shows the record."""
    case = get_object_or_404(cases_for(request_user(request)), pk=pk)
    item = get_object_or_404(Material, pk=material_id, case=case)
    if item.from_data or not item.file:
        return redirect("cases:detail", pk=case.pk)
    return material_download(item)


@login_required
def my_licences(request: HttpRequest) -> HttpResponse:
    licences = Licence.objects.visible_to(request_user(request)).select_related("matter")[:300]
    return render(request, "cases/licences.html", {"licences": licences})


@login_required
def licence_download(request: HttpRequest, number: str) -> HttpResponse:
    licences = Licence.objects.visible_to(request_user(request)).select_related("matter", "enterprise")
    licence = get_object_or_404(licences, number=normalise_licence_number(number))
    try:
        return licence_pdf_response(licence, request)
    except LicenceNotVerifiable as exc:
        messages.error(request, str(exc.message))
        return redirect("cases:my_licences")


def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """Public licence verification by number (typed, or from the QR code with its signature `s`)."""
    number = normalise_licence_number(number or request.GET.get("number", ""))[:40]
    if number:
        try:
            ratelimit.limit(request, scope="verify", per_minute=settings.QINQING_VERIFY_PER_MINUTE)
        except ratelimit.RateLimited as exc:
            response = render(request, "cases/verify.html", {"number": number, "result": None,
                                                             "limited": exc.message}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
    result = verify_licence(number, qr_signature=request.GET.get("s")) if number else None
    seal = seal_svg(result["issuer"], label=_("%(issuer)s电子印章") % {"issuer": result["issuer"]}) \
        if result and result["valid"] else ""
    return render(request, "cases/verify.html", {"number": number, "result": result, "seal": seal,
                                                 "from_qr": request.GET.get("s") is not None})


def licence_keys(request: HttpRequest) -> JsonResponse:
    """The public keys and certificates that verify every licence offline (JSON; PEM files beside it)."""
    return JsonResponse(published_keys(base=request.build_absolute_uri("/licences/keys/")),
                        json_dumps_params={"ensure_ascii": False, "indent": 2})


def licence_key_file(request: HttpRequest, name: str) -> HttpResponse:
    """One published key or certificate as a PEM file."""
    pem = published_pem(name)
    if pem is None:
        raise Http404
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """The reviewer's department queue, earliest deadline first, overdue and near-due marked."""
    user = request_user(request)
    if not user.is_reviewer:
        raise Http404
    listing = _listing(request, review_queue(user), DEADLINE_FIRST)
    queue = [(c, due_marks(c)) for c in listing["page"].items]
    recent = cases_for(user).exclude(status__in=["submitted", "under_review"])[:20]
    return render(request, "cases/workbench.html", {**listing, "queue": queue, "recent": recent,
                                                    "queue_total": review_queue(user).count()})

