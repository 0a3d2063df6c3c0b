"""Pages: the 一件事 guide, the merged form, progress, the agent's workbench, authorisations."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from qinqing.accounts.http import request_user
from qinqing.accounts.models import Authorisation, Enterprise, User
from qinqing.accounts.services import grant_authorisation, revoke_authorisation
from qinqing.bundles import services
from qinqing.bundles.definitions import MergedForm
from qinqing.bundles.errors import BundleInvalid
from qinqing.bundles.models import Bundle
from qinqing.bundles.queries import (
    agent_queue,
    bundle_detail,
    bundle_form_errors,
    bundle_prefill,
    bundle_summary,
    online_bundles,
    parents_for,
    progress,
)
from qinqing.cases import services as case_services
from qinqing.cases.errors import DuplicateApplication, IdempotencyMismatch
from qinqing.cases.formdata import posted_form_data
from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.queries import case_detail, kept_by_material, parent_progress, progress_message
from qinqing.cases.replay import first_submission
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.services import existing_application
from qinqing.cases.services.duplicates import duplicate_refusal
from qinqing.cases.uploads import ACCEPTED_LABEL, check_uploads, material_key
from qinqing.cases.workflow import Status
from qinqing.catalog.models import FormField
from qinqing.core.errors import DomainError
from qinqing.core.ids import normalise_uscc
from qinqing.core.web import domain_error_messages


def index(request: HttpRequest) -> HttpResponse:
    bundles = [bundle_summary(b) for b in online_bundles()]
    return render(request, "bundles/index.html", {"bundles": bundles})


def guide(request: HttpRequest, code: str) -> HttpResponse:
    """Steps, departments, time limits and the computed reduction of one 一件事."""
    bundle = get_object_or_404(online_bundles(), code=code)
    detail = bundle_detail(bundle)
    columns: list[list[dict[str, Any]]] = [[] for _ in range(1 + max((s["level"] for s in detail["dag"]), default=0))]
    titles = {s["key"]: s["matter_name"] for s in detail["dag"]}
    for step in detail["dag"]:
        columns[step["level"]].append({**step, "requires_names": [titles[r] for r in step["requires"]]})
    return render(request, "bundles/guide.html", {"bundle": bundle, "detail": detail, "columns": columns})


def _form_key(request: HttpRequest) -> str:
    """The form rendering's key: posted back, or carried over a language switch (`?key=`), else new."""
    return (request.POST.get("idempotency_key") or request.GET.get("key") or secrets.token_urlsafe(16))[:128]


@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """One merged form for the whole 一件事; every error at once, nothing typed or attached lost."""
    user = request_user(request)
    bundle = get_object_or_404(online_bundles(), code=code)
    acting_for = normalise_uscc(request.POST.get("acting_for") or request.GET.get("for") or "")
    try:
        enterprise, _authorisation = services.acting_enterprise(user, bundle, acting_for)
    except DomainError as exc:
        domain_error_messages(exc, request)
        return redirect("bundles:guide", code=bundle.code)
    form = services.merged_form(bundle)
    prefill = bundle_prefill(bundle, enterprise.uscc)
    values: dict[str, Any] = dict(prefill["data"])
    errors: dict[str, list[str]] = {}
    summary = ""
    existing: dict[str, Any] | None = None
    status = 200
    key = _form_key(request)
    if request.method == "POST":
        data = posted_form_data(request.POST, [(m.key, m.field) for m in form.fields])
        values.update(data)
        values["agent"] = request.POST.get("agent", "")
        try:
            parent, errors, summary = _submit(request, user, bundle, form, data, key=key, acting_for=acting_for,
                                              uscc=enterprise.uscc)
        except IdempotencyMismatch:
            # This rendering of the form was submitted before (Back, then changed): show what it created.
            return redirect("bundles:progress", pk=first_submission(request, user, key))
        except DuplicateApplication as exc:
            parent, summary, existing, status = None, str(exc.message), exc.existing, 409
        if parent is not None:
            messages.success(request, progress_message(parent_progress(parent)))
            return redirect("bundles:progress", pk=parent.pk)
        if errors:
            status = 422
    else:
        held = _held(form, enterprise)
        if held is not None:
            summary, existing = str(held.message), held.existing
    return render(request, "bundles/apply.html", {
        **_apply_context(user, bundle, form), "values": values, "prefill": prefill, "errors": errors,
        "summary": summary, "idempotency_key": key, "kept": kept_by_material(user, key), "enterprise": enterprise,
        "acting_for": acting_for if user.is_agent else "", "existing": existing,
    }, status=status)



def _held(form: MergedForm, enterprise: Enterprise) -> DuplicateApplication | None:
    """The refusal a submission would meet now because one of the steps is held already, if any."""
    for plan in form.plans:
        matter = plan.step.matter
        if matter.limits_duplicates:
            case = existing_application(enterprise=enterprise, matter=matter)
            if case is not None:
                return duplicate_refusal(matter, case)
    return None


def _submit(request: HttpRequest, user: User, bundle: Bundle, form: MergedForm, data: dict[str, Any], *,
            key: str, acting_for: str, uscc: str) -> tuple[Case | None, dict[str, list[str]], str]:
    """Check the files one by one, keep the accepted ones, submit; (parent or None, errors, summary)."""
    accepted, errors = check_uploads(request.FILES, [m.code for m in form.materials])
    case_services.keep_uploads(user=user, form_key=key, uploads=accepted)
    uploads = case_services.kept_uploads(user=user, form_key=key) or accepted
    agent = _agent_by_id(request.POST.get("agent")) if request.POST.get("agent") else None
    try:
        if errors:
            errors = {**bundle_form_errors(bundle, uscc, data, fill_booleans=True), **errors}
            raise BundleInvalid(_("Please correct the marked fields."), errors=errors)
        parent, _created = services.submit_bundle(
            user=user, bundle=bundle, data=data, uploads=uploads, acting_for=acting_for if user.is_agent else "",
            idempotency_key=key, agent=agent, fill_booleans=True,
        )
    except (IdempotencyMismatch, DuplicateApplication):
        raise  # the page answers these itself
    except DomainError as exc:
        shown = domain_error_messages(exc)
        return None, shown.fields, shown.summary
    case_services.release_uploads(user=user, form_key=key)
    return parent, {}, ""


def _apply_context(user: User, bundle: Bundle, form: MergedForm) -> dict[str, Any]:
    """What the merged form shows besides values and errors: sections, materials, agents, labels."""
    sections: list[dict[str, Any]] = [{"title": _("Common information (asked once)"), "fields": form.shared()}]
    for plan in form.plans:
        own = form.own(plan.step.key)
        if own:
            sections.append({"title": plan.step.matter.display_name, "fields": own,
                             "roster": plan.step.matter.code in roster_policy().matters})
    agents = (User.objects.filter(is_active=True, kind=User.Kind.STAFF).select_related("department")
              if bundle.government_acts and user.is_enterprise else User.objects.none())
    labels = ({k: m.field.display_label for k, m in form.by_key().items()}
              | {material_key(m.code): m.requirement.display_name for m in form.materials}
              | {"agent": _("Agent")})
    detail = bundle_detail(bundle)
    performers = {s["key"]: s["performer"] for s in detail["dag"]}
    materials = [{
        "code": m.code, "label": m.requirement.display_name,
        "required": any(performers.get(k) != "agent" for k in m.steps),
        "help": " · ".join(filter(None, [
            ngettext("Needed by %(n)s matter", "Needed by %(n)s matters", len(m.steps)) % {"n": len(m.steps)},
            m.requirement.display_note])),
    } for m in form.materials]
    return {"bundle": bundle, "detail": detail, "sections": sections, "labels": labels,
            "materials": materials, "accepted": ACCEPTED_LABEL, "agents": _agents(agents)}


def _agents(queryset: QuerySet[User]) -> list[User]:
    # Roles are a JSON list and SQLite has no JSON "contains": filter the (few) staff in Python.
    return [u for u in queryset if u.is_agent]


def _agent_by_id(raw: str | None) -> User | None:
    try:
        pk = int(raw or "")
    except ValueError:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def _parent_for(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(parents_for(request_user(request)), pk=pk)


@login_required
def progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole 一件事 at a glance: a diagram of its steps with each one's state."""
    parent = _parent_for(request, pk)
    user = request_user(request)
    return render(request, "bundles/progress.html", {
        **progress(parent), "view": case_detail(parent),
        "is_owner": user.is_enterprise and user.enterprise_id == parent.enterprise_id,
    })


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _parent_for(request, pk)
    try:
        services.withdraw_bundle(parent=parent, user=request_user(request), note=request.POST.get("note", "")[:300])
    except DomainError as exc:
        domain_error_messages(exc, request)
    else:
        messages.success(request, _("The 一件事 was withdrawn."))
    return redirect("bundles:progress", pk=parent.pk)


@login_required
def my_bundles(request: HttpRequest) -> HttpResponse:
    return render(request, "bundles/my_bundles.html", {"parents": parents_for(request_user(request))[:300]})


def _agent_only(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_agent:
        raise Http404
    return user


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """The agent's desk: steps to prepare, bundles in progress, enterprises that authorised it."""
    agent = _agent_only(request)
    authorisations = Authorisation.objects.active().filter(agent=agent).select_related("enterprise")
    return render(request, "bundles/workbench.html", {
        "queue": agent_queue(agent), "parents": parents_for(agent).filter(status=Status.IN_PROGRESS)[:200],
        "authorisations": authorisations, "bundles": online_bundles().filter(government_acts=True),
    })


@login_required
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent checks a step prepared from the merged form and upstream results, completes it, submits."""
    user = request_user(request)
    case = get_object_or_404(Case.objects.visible_to(user).select_related("matter", "enterprise", "parent"), pk=pk)
    if case.parent_id is None or case.matter is None:
        raise Http404
    fields = list(case.matter.fields.all())
    # A commitment (a required yes/no) is the submitter's own: the agent ticks it, it is never pre-ticked.
    commitments = {f.key for f in fields if f.type == FormField.Type.BOOLEAN and f.required}
    values: dict[str, Any] = {k: v for k, v in case.data.items() if k not in commitments}
    errors: dict[str, list[str]] = {}
    summary = ""
    if request.method == "POST":
        data = posted_form_data(request.POST, [(f.key, f) for f in fields])
        values.update(data)
        uploads, refused = check_uploads(request.FILES, [r.code for r in case.matter.materials.all()])
        try:
            if refused:
                raise BundleInvalid(_("Please correct the marked fields."), errors=refused)
            services.submit_prepared_step(case=case, user=user, data=data, uploads=uploads, fill_booleans=True)
        except DomainError as exc:
            shown = domain_error_messages(exc)
            errors, summary = shown.fields, shown.summary
        else:
            messages.success(request, _("Submitted to the department."))
            if user.is_agent:
                return redirect("bundles:workbench")
            return redirect("bundles:progress", pk=case.parent_id)
    sources = dict(case.prefill_sources or {})
    return render(request, "bundles/prepare.html", {
        "case": case, "fields": fields, "values": values, "errors": errors, "summary": summary,
        "sources": sources, "view": case_detail(case), "accepted": ACCEPTED_LABEL,
        "labels": {f.key: f.display_label for f in fields}
        | {material_key(r.code): r.display_name for r in case.matter.materials.all()},
        "can_submit": case.status == Status.PREPARING and services.can_act_on(user, case.parent) is not False
        if case.parent else False,
    }, status=422 if errors else 200)


@login_required
def authorisations(request: HttpRequest) -> HttpResponse:
    """The enterprise's authorisations of government agents: grant, see who acted, revoke."""
    user = request_user(request)
    if not user.is_enterprise or user.enterprise is None:
        raise Http404
    enterprise: Enterprise = user.enterprise
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        agent = _agent_by_id(request.POST.get("agent"))
        try:
            days = int(request.POST.get("days") or 365)
        except ValueError:
            days = 0
        try:
            if agent is None:
                raise BundleInvalid(_("Choose a government agent."),
                                             errors={"agent": [_("Choose a government agent.")]})
            grant_authorisation(granted_by=user, agent=agent, scope=request.POST.get("scope", ""), days=days)
        except DomainError as exc:
            errors = domain_error_messages(exc, request, flash_details=False).fields
        else:
            messages.success(request, _("Authorisation granted."))
            return redirect("bundles:authorisations")
    # Every step someone took on the enterprise's behalf: the events recorded as acting for it.
    acted = (CaseEvent.objects.filter(case__enterprise=enterprise, actor__isnull=False).exclude(acting_for="")
             .select_related("case", "case__matter").order_by("-at", "-id")[:50])
    return render(request, "bundles/authorisations.html", {
        "authorisations": Authorisation.objects.filter(enterprise=enterprise).select_related("agent", "agent__department"),
        "agents": _agents(User.objects.filter(is_active=True, kind=User.Kind.STAFF).select_related("department")),
        "bundles": online_bundles().filter(government_acts=True), "acted": acted, "errors": errors,
    }, status=422 if errors else 200)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    if not user.is_enterprise:
        raise Http404
    authorisation = get_object_or_404(Authorisation, pk=pk, enterprise_id=user.enterprise_id)
    revoke_authorisation(authorisation=authorisation, user=user)
    messages.success(request, _("Authorisation revoked: the agent can no longer act for you."))
    return redirect("bundles:authorisations")
