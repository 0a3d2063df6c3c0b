"""Submitting a whole 一件事: one application → a parent case and one child case per step."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Authorisation, Enterprise, User
from qinqing.accounts.services import active_authorisation, grant_authorisation
from qinqing.audit.services import record_event
from qinqing.bundles.definitions import MergedForm, StepPlan, check_graph
from qinqing.bundles.errors import AgentNotAuthorised, BundleInvalid
from qinqing.bundles.models import Bundle, BundleCase
from qinqing.bundles.services.loading import merged_form
from qinqing.bundles.services.progress import advance
from qinqing.cases.errors import IdempotencyMismatch, NotAnEnterprise
from qinqing.cases.formdata import clean_form_data
from qinqing.cases.models import Case
from qinqing.cases.services import Upload, attach_upload, lock_enterprise, open_case, refuse_duplicate
from qinqing.cases.workflow import Status
from qinqing.catalog.models import DuplicatePolicy
from qinqing.core import events
from qinqing.core.calendar import add_limit
from qinqing.core.idempotency import once
from qinqing.core.ids import normalise_uscc
from qinqing.datahub.queries import Fact, facts_for


def _fingerprint(bundle: Bundle, data: Mapping[str, Any], acting_for: str) -> str:
    text = json.dumps({"bundle": bundle.code, "data": data, "for": acting_for}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def enterprise_label(enterprise: Enterprise) -> str:
    return f"{enterprise.name}（{enterprise.uscc}）"


def acting_enterprise(user: User, bundle: Bundle, acting_for: str) -> tuple[Enterprise, Authorisation | None]:
    """Whom the submission is for, and the authorisation that lets an agent act."""
    if user.is_enterprise and user.enterprise is not None:
        if acting_for and normalise_uscc(acting_for) != user.enterprise.uscc:
            raise AgentNotAuthorised(_("An enterprise can apply only for itself."))
        return user.enterprise, None
    if not user.is_agent:
        raise NotAnEnterprise(_("Only an enterprise, or an agent it authorised, can apply."))
    if not acting_for:
        raise BundleInvalid(_("Say which enterprise you act for."),
                            errors={"acting_for": [_("This field is required.")]})
    enterprise = Enterprise.objects.filter(uscc=normalise_uscc(acting_for)).first()
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


def _validated(form: MergedForm, data: Mapping[str, Any], uploads: list[Upload], *, enterprise: Enterprise,
               agent: User | None, fill_booleans: bool) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every step's cleaned data and sources; every error of the merged form at once, else raise."""
    per_step, errors = validate_bundle_data(form, data, facts_for(enterprise.uscc), fill_booleans=fill_booleans)
    codes = {m.code for m in form.materials}
    for code, _upload in uploads:
        if code not in codes:
            errors.setdefault("materials", []).append(_("No material %(code)s.") % {"code": code})
    if agent is not None and not agent.is_agent:
        errors.setdefault("agent", []).append(_("Choose a government agent."))
    if errors:
        raise BundleInvalid(_("Please correct the marked fields."), errors=errors)
    return per_step


def _refuse_duplicates(form: MergedForm, enterprise: Enterprise,
                       per_step: Mapping[str, tuple[dict[str, Any], dict[str, Any]]] | None) -> None:
    """Refuse the whole 一件事 when one of its matters may not be applied for again (enterprise row locked).

    Without `per_step` (before validation) every policy but "one per project" is checked; with the
    cleaned data of each step, "one per project" too.
    """
    limited = [plan for plan in form.plans if plan.step.matter.limits_duplicates]
    if not limited:
        return
    if per_step is None:
        lock_enterprise(enterprise)
        for plan in limited:
            refuse_duplicate(enterprise=enterprise, matter=plan.step.matter)
        return
    for plan in limited:
        if plan.step.matter.duplicate_policy == DuplicatePolicy.ONE_PER_PROJECT:
            refuse_duplicate(enterprise=enterprise, matter=plan.step.matter, data=per_step[plan.step.key][0])


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
    uploads = list(uploads)

    def lookup() -> Case | None:
        if not idempotency_key:
            return None
        return Case.objects.filter(applicant=user, idempotency_key=idempotency_key).first()

    def create() -> Case:
        form = merged_form(bundle)
        _refuse_duplicates(form, enterprise, None)
        per_step = _validated(form, data, uploads, enterprise=enterprise, agent=agent, fill_booleans=fill_booleans)
        _refuse_duplicates(form, enterprise, per_step)
        now = timezone.now()
        deadlines = _plan_deadlines(form, now)
        grant = authorisation
        if agent is not None and grant is None:
            grant = (active_authorisation(agent=agent, enterprise=enterprise, bundle_code=bundle.code)
                     or grant_authorisation(granted_by=user, agent=agent, scope=bundle.code))
        parent = open_case(
            matter=None, enterprise=enterprise, applicant=user, data=dict(data), sources={}, now=now,
            acting_for=label, status=Status.IN_PROGRESS, idempotency_key=idempotency_key,
            fingerprint=fingerprint, bundle_code=bundle.code, title=bundle.name,
            due_at=max(d[0] for d in deadlines.values()), statutory_due_at=max(d[1] for d in deadlines.values()),
        )
        bundle_case = BundleCase.objects.create(
            parent=parent, bundle=bundle, authorisation=grant,
            agent=user if user.is_agent else (grant.agent if grant else None),
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
        return parent

    parent, created = once(lookup=lookup, create=create, replay=lambda existing: _replay(existing, fingerprint),
                           atomic=events.atomic)
    if not created:
        return parent, False
    parent.refresh_from_db()
    return parent, True


def _replay(existing: Case, fingerprint: str) -> Case:
    if not existing.is_bundle or (existing.request_fingerprint and existing.request_fingerprint != fingerprint):
        raise IdempotencyMismatch(_("This Idempotency-Key was already used for a different application."))
    return existing
