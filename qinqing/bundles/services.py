"""Every state change of a bundle: load definitions, submit, start steps as they unlock, withdraw."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Authorisation, Department, Enterprise, User
from qinqing.accounts.services import active_authorisation, grant_authorisation
from qinqing.audit.services import chained_at_end, record_event
from qinqing.bundles.definitions import MergedForm, StepPlan, check_graph, merge
from qinqing.bundles.errors import AgentNotAuthorised, BundleInvalid, StepRefused
from qinqing.bundles.models import Bundle, BundleCase, BundleStep
from qinqing.cases.errors import IdempotencyMismatch, NotAnEnterprise
from qinqing.cases.formdata import clean_form_data
from qinqing.cases.models import Case, Licence
from qinqing.cases.services import Upload, attach_upload, move_case, open_case, start_case
from qinqing.cases.workflow import CLOSED_STATUSES, Status
from qinqing.catalog.models import Matter
from qinqing.core.calendar import add_limit
from qinqing.datahub.queries import Fact, facts_for
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify

DATA = Path(__file__).resolve().parent / "data"
FAILED = (Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED)


# ---- definitions -------------------------------------------------------------------------------

def steps_of(bundle: Bundle) -> list[BundleStep]:
    """The bundle's steps with their matters' fields and materials loaded."""
    return list(bundle.steps.select_related("matter", "matter__department", "matter__rule_set")
                .prefetch_related("matter__fields", "matter__materials"))


def merged_form(bundle: Bundle) -> MergedForm:
    return merge(steps_of(bundle))


@transaction.atomic
def load_bundles(path: Path | None = None) -> int:
    """Create or update the bundles in the data file; a definition that cannot work is refused."""
    with (path or DATA / "bundles.json").open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)
    for order, row in enumerate(rows):
        check_graph([(s["key"], [r for r in s.get("requires", [])]) for s in row["steps"]])
        bundle, _created = Bundle.objects.update_or_create(code=row["code"], defaults={
            "name": row["name"], "name_en": row.get("name_en", ""),
            "lead_department": Department.objects.get(code=row["lead_department"]),
            "summary": row.get("summary", ""), "summary_en": row.get("summary_en", ""),
            "basis": row.get("basis", ""), "confidence": row.get("confidence", ""),
            "government_acts": bool(row.get("government_acts", False)), "active": row.get("active", True),
            "order": order,
        })
        keys = []
        for index, s in enumerate(row["steps"]):
            keys.append(s["key"])
            BundleStep.objects.update_or_create(bundle=bundle, key=s["key"], defaults={
                "matter": Matter.objects.get(code=s["matter"]), "order": index,
                "requires": list(s.get("requires", [])), "performer": s.get("performer", "enterprise"),
                "enabled": s.get("enabled", True), "inputs": dict(s.get("inputs", {})),
                "note": s.get("note", ""), "note_en": s.get("note_en", ""),
            })
        bundle.steps.exclude(key__in=keys).delete()
        merged_form(bundle)  # raises DefinitionError: the transaction rolls back
    return len(rows)


# ---- submission --------------------------------------------------------------------------------

def _fingerprint(bundle: Bundle, data: Mapping[str, Any], acting_for: str) -> str:
    text = json.dumps({"bundle": bundle.code, "data": data, "for": acting_for}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def enterprise_label(enterprise: Enterprise) -> str:
    return f"{enterprise.name}（{enterprise.uscc}）"


def acting_enterprise(user: User, bundle: Bundle, acting_for: str) -> tuple[Enterprise, Authorisation | None]:
    """Whom the submission is for, and the authorisation that lets an agent act."""
    if user.is_enterprise and user.enterprise is not None:
        if acting_for and acting_for != user.enterprise.uscc:
            raise AgentNotAuthorised(_("An enterprise can apply only for itself."))
        return user.enterprise, None
    if not user.is_agent:
        raise NotAnEnterprise(_("Only an enterprise, or an agent it authorised, can apply."))
    if not acting_for:
        raise BundleInvalid(_("Say which enterprise you act for."),
                            errors={"acting_for": [_("This field is required.")]})
    enterprise = Enterprise.objects.filter(uscc=acting_for.strip().upper()).first()
    authorisation = active_authorisation(agent=user, enterprise=enterprise, bundle_code=bundle.code) if enterprise else None
    if enterprise is None or authorisation is None:
        raise AgentNotAuthorised(_("You hold no valid authorisation from this enterprise for this matter."))
    return enterprise, authorisation


def _child_input(plan: StepPlan, data: Mapping[str, Any]) -> dict[str, Any]:
    return {child: data[merged] for child, merged in plan.asked.items() if merged in data}


def validate_bundle_data(form: MergedForm, data: Mapping[str, Any], facts: Mapping[str, Fact], *,
                         fill_booleans: bool = False) -> tuple[dict[str, tuple[dict[str, Any], dict[str, Any]]],
                                                               dict[str, list[str]]]:
    """Validate merged-form data for every step; return ({step: (cleaned, sources)}, errors by merged key)."""
    known = form.by_key()
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in known:
            errors.setdefault(str(key), []).append(_("Unknown field."))
    out: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for plan in form.plans:
        fields = [f for f in plan.fields if f.key not in plan.upstream]
        cleaned, sources, child_errors = clean_form_data(fields, _child_input(plan, data), facts,
                                                         fill_booleans=fill_booleans)
        for child_key, messages in child_errors.items():
            merged_key = plan.asked.get(child_key, child_key)
            for message in messages:
                if message not in errors.get(merged_key, []):
                    errors.setdefault(merged_key, []).append(message)
        out[plan.step.key] = (cleaned, sources)
    return out, errors


def _plan_deadlines(form: MergedForm, now: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Planned (promised, statutory) end of each step along the dependency graph."""
    ends: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    plans = {p.step.key: p for p in form.plans}
    for key in check_graph([(k, [r for r in p.step.requires if r in plans]) for k, p in plans.items()]):
        step = plans[key].step
        reqs = [ends[r] for r in step.requires if r in ends]
        start_promised = max([r[0] for r in reqs], default=now)
        start_statutory = max([r[1] for r in reqs], default=now)
        matter = step.matter
        ends[key] = (add_limit(start_promised, matter.promised_limit, matter.promised_unit),
                     add_limit(start_statutory, matter.statutory_limit, matter.statutory_unit))
    return ends


def submit_bundle(
    *, user: User, bundle: Bundle, data: Mapping[str, Any], uploads: Iterable[Upload] = (),
    idempotency_key: str = "", acting_for: str = "", agent: User | None = None, fill_booleans: bool = False,
) -> tuple[Case, bool]:
    """One application for a whole bundle: a parent case and one child case per step, in one transaction.

    Steps whose prerequisites are met start at once (and may be decided by their rules); the others
    wait. Return (parent, created); the same idempotency key returns the parent it first created.
    """
    if not bundle.active:
        raise BundleInvalid(_("This 一件事 is not online."), errors={"bundle": [_("This 一件事 is not online.")]})
    enterprise, authorisation = acting_enterprise(user, bundle, acting_for)
    label = enterprise_label(enterprise) if authorisation is not None else ""
    fingerprint = _fingerprint(bundle, data, enterprise.uscc)
    if idempotency_key:
        existing = Case.objects.filter(applicant=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, fingerprint), False
    form = merged_form(bundle)
    facts = facts_for(enterprise.uscc)
    per_step, errors = validate_bundle_data(form, data, facts, fill_booleans=fill_booleans)
    uploads = list(uploads)
    codes = {m.code: m for m in form.materials}
    for code, _upload in uploads:
        if code not in codes:
            errors.setdefault("materials", []).append(_("No material %(code)s.") % {"code": code})
    if agent is not None and not agent.is_agent:
        errors.setdefault("agent", []).append(_("Choose a government agent."))
    if errors:
        raise BundleInvalid(_("Please correct the marked fields."), errors=errors)
    now = timezone.now()
    deadlines = _plan_deadlines(form, now)
    try:
        with transaction.atomic(), chained_at_end():
            if agent is not None and authorisation is None:
                authorisation = (active_authorisation(agent=agent, enterprise=enterprise, bundle_code=bundle.code)
                                 or grant_authorisation(granted_by=user, agent=agent, scope=bundle.code))
            parent = open_case(
                matter=None, enterprise=enterprise, applicant=user, data=dict(data), sources={}, now=now,
                acting_for=label, status=Status.IN_PROGRESS, idempotency_key=idempotency_key,
                fingerprint=fingerprint, bundle_code=bundle.code, title=bundle.name,
                due_at=max(d[0] for d in deadlines.values()), statutory_due_at=max(d[1] for d in deadlines.values()),
            )
            bundle_case = BundleCase.objects.create(
                parent=parent, bundle=bundle, authorisation=authorisation,
                agent=user if user.is_agent else (authorisation.agent if authorisation else None),
            )
            stored: dict[str, str] = {}
            for plan in form.plans:
                cleaned, sources = per_step[plan.step.key]
                child = open_case(
                    matter=plan.step.matter, enterprise=enterprise, applicant=user, data=cleaned, sources=sources,
                    now=now, acting_for=label, status=Status.WAITING, parent=parent, step_key=plan.step.key,
                    bundle_code=bundle.code,
                    due_at=deadlines[plan.step.key][0], statutory_due_at=deadlines[plan.step.key][1],
                )
                for requirement in plan.materials:
                    for code, upload in uploads:
                        if code == requirement.code:
                            material = attach_upload(child, requirement, upload, user=user,
                                                     stored_file=stored.get(code, ""))
                            stored[code] = material.file.name or ""
            bundle_case.uploads = stored
            bundle_case.save(update_fields=["uploads"])
            record_event(actor=user, action="bundle.submitted", obj=parent, acting_for=label,
                         after={"number": parent.number, "bundle": bundle.code, "steps": len(form.plans)})
            advance(parent.pk)
    except IntegrityError:
        if idempotency_key:
            existing = Case.objects.filter(applicant=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, fingerprint), False
        raise
    parent.refresh_from_db()
    return parent, True


def _replay(existing: Case, fingerprint: str) -> Case:
    if not existing.is_bundle or (existing.request_fingerprint and existing.request_fingerprint != fingerprint):
        raise IdempotencyMismatch(_("This Idempotency-Key was already used for a different application."))
    return existing


# ---- progress: unlocking steps exactly once ----------------------------------------------------

_advancing: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("bundles_advancing", default=frozenset())
_again: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("bundles_again", default=frozenset())


def on_case_closed(sender: Any, case: Case, **kwargs: Any) -> None:
    """A child closed: its bundle may unlock further steps or close (same transaction)."""
    if case.parent_id is not None:
        advance(case.parent_id)


def advance(parent_id: int) -> None:
    """Start every waiting step whose prerequisites are approved, cancel those that can no longer
    start, close the parent when every child has closed. The parent row lock makes concurrent
    callers take turns, so each step starts exactly once."""
    if parent_id in _advancing.get():
        _again.set(_again.get() | {parent_id})  # a step we started closed at once: go round again
        return
    token = _advancing.set(_advancing.get() | {parent_id})
    try:
        while True:
            _again.set(_again.get() - {parent_id})
            changed = _advance_once(parent_id)
            if not changed and parent_id not in _again.get():
                break
    finally:
        _advancing.reset(token)


def _advance_once(parent_id: int) -> bool:
    parent = Case.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=parent_id)
    if parent.status != Status.IN_PROGRESS:
        return False
    bundle_case = BundleCase.objects.select_related("bundle").get(parent=parent)
    children = {c.step_key: c for c in Case.objects.select_for_update(of=("self",)).filter(parent=parent)
                .select_related("matter", "enterprise", "applicant").order_by("id")}
    steps = {s.key: s for s in bundle_case.bundle.steps.all()}
    changed = False
    facts: dict[str, Fact] | None = None
    # One pass starts every ready step; the services update the locked rows in place, so a step
    # approved during the pass is seen by those after it. The caller goes round again if anything moved.
    for key, child in children.items():
        if child.status != Status.WAITING:
            continue
        step = steps[key]
        required = [children[r] for r in step.requires if r in children]
        if any(r.status in FAILED for r in required):
            move_case(child, Status.CANCELLED, actor=None, action="cancelled",
                      note="、".join(r.display_title for r in required if r.status in FAILED))
            changed = True
        elif all(r.status == Status.APPROVED for r in required):
            facts = facts if facts is not None else facts_for(parent.enterprise.uscc)
            _start_step(parent, bundle_case, child, step, children, facts)
            changed = True
    if changed:
        return True
    if children and all(c.status in CLOSED_STATUSES for c in children.values()):
        approved = all(c.status == Status.APPROVED for c in children.values())
        move_case(parent, Status.COMPLETED if approved else Status.CLOSED, actor=None,
                  action="completed" if approved else "closed")
        _notify_enterprise(parent, _("一件事 finished: %(title)s") % {"title": parent.title},
                           _("Every step of %(number)s has been decided.") % {"number": parent.number})
        return True
    return False


def _upstream_values(step: BundleStep, children: Mapping[str, Case]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child_key, source in (step.inputs or {}).items():
        if not source.startswith("steps."):
            continue
        upstream, output = source[len("steps."):].split(".")
        case = children.get(upstream)
        if case is None:
            continue
        if output == "licence_number":
            number = Licence.objects.filter(case=case).values_list("number", flat=True).first()
            if number:
                values[child_key] = number
        elif output == "decided_on" and case.decided_at:
            values[child_key] = timezone.localtime(case.decided_at).date().isoformat()
    return values


def _start_step(parent: Case, bundle_case: BundleCase, child: Case, step: BundleStep,
                children: Mapping[str, Case], facts: Mapping[str, Fact]) -> None:
    """The step's prerequisites are approved: take in what they produced, then start or hand to the agent."""
    assert child.matter is not None
    data = {**child.data, **_upstream_values(step, children)}
    cleaned, sources, errors = clean_form_data(list(child.matter.fields.all()), data, facts)
    child.data = cleaned if not errors else data
    child.prefill_sources = sources
    if step.performer == BundleStep.Performer.AGENT or errors:
        note = "；".join(f"{k}: {'、'.join(v)}" for k, v in errors.items())
        move_case(child, Status.PREPARING, actor=None, action="handed_to_agent", note=note)
        recipients = [bundle_case.agent] if bundle_case.agent else []
        for agent in recipients:
            notify(recipient=agent, kind=Notification.Kind.CASE_RECEIVED,
                   title=_("To prepare: %(matter)s") % {"matter": child.matter.name},
                   body=_("%(enterprise)s · %(bundle)s: this step is ready for you to prepare and submit.")
                   % {"enterprise": child.enterprise.name, "bundle": parent.title},
                   link=f"/agent/cases/{child.pk}/")
        return
    start_case(child, actor=None, action="started", data=cleaned, sources=sources, acting_for=parent.acting_for,
               note=_("Earlier steps approved") if step.requires else "", facts=facts)


def _notify_enterprise(parent: Case, title: str, body: str) -> None:
    for user in parent.enterprise.users.filter(is_active=True):
        notify(recipient=user, kind=Notification.Kind.DECISION, title=title, body=body,
               link=f"/bundles/cases/{parent.pk}/")


# ---- the agent's and the enterprise's actions on a bundle -------------------------------------

def can_act_on(user: User, parent: Case) -> Authorisation | bool | None:
    """True for the enterprise itself; the authorisation for an agent; False otherwise."""
    if user.is_enterprise and user.enterprise_id == parent.enterprise_id:
        return True
    if user.is_agent:
        authorisation = active_authorisation(agent=user, enterprise=parent.enterprise, bundle_code=parent.bundle_code)
        return authorisation if authorisation is not None else False
    return False


def submit_prepared_step(*, case: Case, user: User, data: Mapping[str, Any], uploads: Iterable[Upload] = (),
                         fill_booleans: bool = False) -> Case:
    """The agent (or the enterprise itself) checks a prepared step, completes it and submits it."""
    if case.parent_id is None or case.matter is None:
        raise StepRefused(_("This is not a step of a 一件事."))
    allowed = can_act_on(user, case.parent) if case.parent else False
    if allowed is False:
        raise AgentNotAuthorised(_("You hold no valid authorisation from this enterprise for this matter."))
    uploads = list(uploads)
    with transaction.atomic(), chained_at_end():
        Case.objects.select_for_update().only("pk").get(pk=case.parent_id)  # parent first, as advance() locks
        case = (Case.objects.select_for_update(of=("self",)).select_related("matter", "enterprise", "parent")
                .get(pk=case.pk))
        if case.status != Status.PREPARING:
            raise StepRefused(_("This step is not waiting to be prepared."))
        assert case.matter is not None
        fields = list(case.matter.fields.all())
        merged = {**case.data, **{k: v for k, v in data.items()}}
        cleaned, sources, errors = clean_form_data(fields, merged, facts_for(case.enterprise.uscc),
                                                   fill_booleans=fill_booleans)
        requirements = {r.code: r for r in case.matter.materials.all()}
        for code, _upload in uploads:
            if code not in requirements:
                errors.setdefault("materials", []).append(_("No material %(code)s.") % {"code": code})
        if errors:
            raise BundleInvalid(_("Please correct the marked fields."), errors=errors)
        for code, upload in uploads:
            attach_upload(case, requirements[code], upload, user=user)
        acting_for = enterprise_label(case.enterprise) if user.is_agent else ""
        start_case(case, actor=user, action="prepared", data=cleaned, sources=sources, acting_for=acting_for)
    case.refresh_from_db()
    return case


def withdraw_bundle(*, parent: Case, user: User, note: str = "") -> Case:
    """The enterprise withdraws the whole 一件事: open steps are withdrawn, waiting ones never start."""
    if not parent.is_bundle:
        raise StepRefused(_("This is not a 一件事."))
    if not (user.is_enterprise and user.enterprise_id == parent.enterprise_id):
        raise AgentNotAuthorised(_("Only the enterprise may withdraw its application."))
    with transaction.atomic():
        parent = Case.objects.select_for_update().get(pk=parent.pk)
        if parent.status != Status.IN_PROGRESS:
            raise StepRefused(_("This 一件事 has already finished."))
        token = _advancing.set(_advancing.get() | {parent.pk})  # close children without re-planning each time
        try:
            for child in Case.objects.select_for_update().filter(parent=parent).order_by("id"):
                if child.status in (Status.WAITING, Status.PREPARING):
                    move_case(child, Status.CANCELLED, actor=user, action="cancelled", note=note)
                elif child.status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.SUPPLEMENT_REQUESTED):
                    move_case(child, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
        finally:
            _advancing.reset(token)
        move_case(parent, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
    return parent
