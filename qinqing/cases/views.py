"""Pages: apply, my cases, case detail, licences, public verification, the reviewer's workbench."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.accounts.http import request_user
from qinqing.cases import services
from qinqing.cases.errors import DuplicateApplication, IdempotencyMismatch
from qinqing.cases.formdata import posted_form_data
from qinqing.cases.models import Case, Licence, Material
from qinqing.cases.pdf import licence_pdf_response
from qinqing.cases.queries import (
    case_detail,
    case_licence,
    cases_for,
    decision_summary,
    due_marks,
    prefill_for,
    review_queue,
    verify_licence,
)
from qinqing.cases.services.duplicates import duplicate_refusal
from qinqing.cases.uploads import ACCEPTED_LABEL, Upload, check_upload
from qinqing.catalog.queries import base_matters
from qinqing.core.errors import DomainError
from qinqing.core.web import domain_error_messages


def _uploads(request: HttpRequest, codes: list[str]) -> list[Upload]:
    checked: list[Upload] = []
    for code in codes:
        for upload in request.FILES.getlist(f"material_{code}"):
            checked.append((code, check_upload(upload, upload.name or "file", upload.size)))
    return checked


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """The application form, prefilled from government data, with per-field errors."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        return HttpResponseForbidden(_("Only an enterprise account can apply."))
    matter = get_object_or_404(base_matters().prefetch_related("fields", "materials"), code=code)
    prefill = prefill_for(matter, user.enterprise.uscc)
    fields = list(matter.fields.all())
    values: dict[str, Any] = dict(prefill["data"])
    errors: dict[str, list[str]] = {}
    summary = ""
    existing: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        data = posted_form_data(request.POST, [(f.key, f) for f in fields])
        values.update(data)
        try:
            uploads = _uploads(request, [r.code for r in matter.materials.all()])
            case, _created = services.submit_case(
                applicant=user, matter=matter, data=data,
                idempotency_key=request.POST.get("idempotency_key", "")[:128], uploads=uploads,
            )
        except IdempotencyMismatch:
            # This rendering of the form was submitted before (Back, then changed): show what it created.
            first = Case.objects.filter(applicant=user, idempotency_key=request.POST.get("idempotency_key", "")[:128])
            messages.info(request, _("This form was already submitted; here is the application it created. "
                                     "To apply again, open the form anew."))
            return redirect("cases:detail", pk=first.values_list("pk", flat=True).get())
        except DuplicateApplication as exc:
            summary, existing, status = str(exc.message), exc.existing, 409
        except DomainError as exc:
            shown = domain_error_messages(exc)
            errors, summary, status = shown.fields, shown.summary, 422 if shown.fields else 200
        else:
            return redirect("cases:detail", pk=case.pk)
    elif matter.limits_duplicates:
        held = services.existing_application(enterprise=user.enterprise, matter=matter)
        if held is not None:
            refusal = duplicate_refusal(matter, held)
            summary, existing = str(refusal.message), refusal.existing
    return render(request, "cases/apply.html", {
        "matter": matter, "fields": fields, "values": values, "prefill": prefill, "errors": errors,
        "summary": summary, "accepted": ACCEPTED_LABEL, "idempotency_key": _new_key(request),
        "field_keys": [f.key for f in fields], "existing": existing,
    }, status=status)


def _new_key(request: HttpRequest) -> str:
    return request.POST.get("idempotency_key") or secrets.token_urlsafe(16)


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    # Steps of a 一件事 are listed on the bundle's own progress page.
    cases = cases_for(request_user(request)).filter(parent__isnull=True)[:300]
    return render(request, "cases/my_cases.html", {"cases": cases})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: status, deadlines, decision with reasons, timeline, materials, licence."""
    user = request_user(request)
    case = get_object_or_404(cases_for(user).select_related("rule_set_version"), pk=pk)
    if case.is_bundle:
        return redirect(f"/bundles/cases/{case.pk}/")
    return render(request, "cases/detail.html", {
        "case": case, "view": case_detail(case), "decision": decision_summary(case),
        "licence": case_licence(case), "is_owner": user.is_enterprise and case.enterprise_id == user.enterprise_id,
        "is_reviewer": user.is_reviewer, "missing": services.missing_materials(case),
        "requirements": case.matter.materials.all() if case.matter else [], "accepted": ACCEPTED_LABEL, "mark": due_marks(case),
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
def material(request: HttpRequest, pk: int, material_id: int) -> FileResponse:
    case = get_object_or_404(cases_for(request_user(request)), pk=pk)
    item = get_object_or_404(Material, pk=material_id, case=case)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name,
                        content_type=item.content_type)


@login_required
def my_licences(request: HttpRequest) -> HttpResponse:
    licences = Licence.objects.visible_to(request_user(request)).select_related("matter")[:300]
    return render(request, "cases/licences.html", {"licences": licences})


@login_required
def licence_download(request: HttpRequest, number: str) -> HttpResponse:
    licences = Licence.objects.visible_to(request_user(request)).select_related("matter", "enterprise")
    return licence_pdf_response(get_object_or_404(licences, number=number), request)


def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """Public licence verification by number (typed, or from the QR code)."""
    number = (number or request.GET.get("number", "")).strip()[:40]
    result = verify_licence(number) if number else None
    signature = request.GET.get("s", "")
    qr_matches = bool(result and signature and result.get("signature") == signature)
    return render(request, "cases/verify.html", {"number": number, "result": result, "from_qr": bool(signature),
                                                 "qr_matches": qr_matches})


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """The reviewer's department queue, earliest deadline first, overdue and near-due marked."""
    user = request_user(request)
    if not user.is_reviewer:
        raise Http404
    queue = [(c, due_marks(c)) for c in review_queue(user)[:300]]
    recent = cases_for(user).exclude(status__in=["submitted", "under_review"])[:20]
    return render(request, "cases/workbench.html", {"queue": queue, "recent": recent})

