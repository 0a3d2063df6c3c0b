"""Applying: store a case, attach its materials, start its clock, let its rules decide it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.cases.deadlines import manual_limit
from qinqing.cases.errors import NOT_ALLOWED_NOW, CaseInvalid, NotAnEnterprise, TransitionRefused
from qinqing.cases.formdata import clean_form_data, rule_facts
from qinqing.cases.models import Case, CaseEvent, Licence, Material
from qinqing.cases.services._common import (
    FORM,
    Upload,
    about,
    case_number,
    emit_closed,
    fingerprint,
    link,
    matter_of,
    replay,
    transition,
)
from qinqing.cases.services.duplicates import lock_enterprise, refuse_duplicate
from qinqing.cases.services.licences import issue_licence
from qinqing.cases.services.materials import (
    attach_data_materials,
    licence_reads,
    material_record,
    missing_materials,
    store_materials,
)
from qinqing.cases.workflow import Status, can_transition
from qinqing.catalog.models import DuplicatePolicy, MaterialRequirement, Matter
from qinqing.core import clock, events
from qinqing.core.calendar import add_limit
from qinqing.core.errors import DomainError
from qinqing.core.events import CaseDecided, CaseSubmitted
from qinqing.core.idempotency import once
from qinqing.datahub.queries import Fact, Holdings, fact_values, facts_for, held_about
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.notifications.texts import Text, named
from qinqing.rules.engine import APPROVE, Verdict, evaluate
from qinqing.rules.services import parsed_version


def submit_case(
    *, applicant: User, matter: Matter, data: Mapping[str, Any], idempotency_key: str = "",
    uploads: Iterable[Upload] = (), acting_for: str = "", fill_booleans: bool = False,
) -> tuple[Case, bool]:
    """Validate and store an application; decide it at once when its rules allow.

    Return (case, created). The same idempotency key returns the case it first created.
    """
    if not applicant.is_enterprise or applicant.enterprise is None:
        raise NotAnEnterprise(_("Only an enterprise account can apply."))
    if not matter.active:
        raise CaseInvalid(_("This matter is not online."), errors={"matter": [_("This matter is not online.")]})
    request = fingerprint(matter, data)
    enterprise = applicant.enterprise
    files = list(uploads)

    def create() -> Case:
        if matter.limits_duplicates:
            lock_enterprise(enterprise)
            refuse_duplicate(enterprise=enterprise, matter=matter)
        fields = list(matter.fields.all())
        requirements = list(matter.materials.all())
        # The facts and the records standing in for materials (one query per table) and the licences in force
        # that stand in for materials, read together (one round trip on PostgreSQL).
        satisfied_by = [r.satisfied_by for r in requirements if r.satisfied_by]
        held = held_about(enterprise.uscc, material_sources=satisfied_by, also=licence_reads(enterprise, satisfied_by))
        facts = facts_for(enterprise.uscc, held)
        cleaned, sources, errors = clean_form_data(fields, data, facts, fill_booleans=fill_booleans)
        if errors:
            raise CaseInvalid(_("Please correct the marked fields."), errors=errors)
        if matter.duplicate_policy == DuplicatePolicy.ONE_PER_PROJECT:
            refuse_duplicate(enterprise=enterprise, matter=matter, data=cleaned)
        return _file_and_decide(
            matter=matter, enterprise=enterprise, applicant=applicant, cleaned=cleaned, sources=sources,
            facts=facts, fields=fields, requirements=requirements, uploads=files, acting_for=acting_for,
            idempotency_key=idempotency_key, fingerprint=request, held=held,
        )

    def lookup() -> Case | None:
        if not idempotency_key:
            return None
        return Case.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()

    # No lookup before the work: a new key (nearly every request) costs no SELECT; a repeat is
    # found when the unique key (applicant, idempotency key) refuses its row, or when the first
    # request's own case makes this one a refused duplicate.
    return once(lookup=lookup, create=create, replay=lambda existing: replay(existing, request),
                atomic=events.atomic, lookup_first=False, replay_on=(DomainError,) if idempotency_key else ())


def _file_and_decide(
    *, matter: Matter, enterprise: Enterprise, applicant: User, cleaned: Mapping[str, Any],
    sources: Mapping[str, Any], facts: Mapping[str, Fact], fields: list[Any],
    requirements: list[MaterialRequirement], uploads: list[Upload], acting_for: str, idempotency_key: str,
    fingerprint: str, held: Holdings | None = None,
) -> Case:
    """Decide first, then write: one INSERT of the case in its final state, its timeline in one INSERT.

    Everything the decision needs is known before the case exists: the cleaned form, the facts,
    the uploads' requirements and the shared-data records that stand in for materials. The case
    answers from memory afterwards (its events and materials are set as if prefetched).
    """
    by_code = {r.code: r for r in requirements}
    for code, _upload in uploads:
        if code and code not in by_code:
            raise CaseInvalid(_("Unknown material."), errors={"requirement": [_("No material %(code)s.") % {"code": code}]})
    uploaded = {by_code[code].pk for code, _upload in uploads if code}
    from_data = [(r, record) for r in requirements
                 if r.satisfied_by and r.satisfied_by != FORM and r.pk not in uploaded
                 and (record := material_record(enterprise, r.satisfied_by, held)) is not None]
    have = uploaded | {r.pk for r, _record in from_data}
    missing = [r for r in requirements if r.required and r.satisfied_by != FORM and r.pk not in have]

    now = timezone.now()
    case = Case(
        number=case_number(now), matter=matter, enterprise=enterprise, applicant=applicant, acting_for=acting_for,
        status=Status.SUBMITTED, data=dict(cleaned), prefill_sources=dict(sources), submitted_at=now,
        due_at=add_limit(now, matter.promised_limit, matter.promised_unit),
        statutory_due_at=add_limit(now, matter.statutory_limit, matter.statutory_unit),
        idempotency_key=idempotency_key, request_fingerprint=fingerprint, parent=None, step_key="",
        bundle_code="", title="",
    )
    timeline = [CaseEvent(case=case, actor=applicant, actor_label=applicant.label(), acting_for=acting_for,
                          action="submitted", to_status=Status.SUBMITTED, at=now)]
    if from_data:
        timeline.append(CaseEvent(
            case=case, actor=None, actor_label=str(_("Shared data")), action="materials_from_data", at=now,
            note="、".join(f"{r.name}（{record.source_name}）" for r, record in from_data),
        ))
    verdict = _verdict(case, matter=matter, fields=fields, cleaned=cleaned, facts=fact_values(dict(facts)),
                       missing=missing, timeline=timeline)
    if not uploads:
        # Nothing below reads these rows back before the end: on PostgreSQL they are written there, with
        # the outbox and the audit record, in one statement; their keys are drawn now (one statement).
        events.reserve_ids({Case: 1, Material: len(from_data), Notification: 1,
                            Licence: int(case.status == Status.APPROVED)})
    case.pk = events.reserved_id(Case)
    events.insert([case])
    materials = store_materials(case, uploads, applicant, supplement=False, requirements=by_code)
    if from_data:
        data_materials = [
            Material(id=events.reserved_id(Material), case=case, requirement=r, stored_name="",
                     original_name=record.title or r.name, content_type="", size=0, sha256="", uploaded_by=applicant,
                     data_source=record.source, data_source_name=record.source_name, data_reference=record.key,
                     data_as_of=record.as_of)
            for r, record in from_data
        ]
        events.insert(data_materials)
        materials += data_materials
    _emit_submitted(case)
    if case.status == Status.APPROVED:
        events.emit(CaseDecided(case_id=case.pk, number=case.number, matter=matter.code, outcome="approved",
                                automatic=True, parent_id=None, **about(enterprise)))
        issue_licence(case, timeline=timeline)
        emit_closed(case)
    for event in timeline:
        event.case = case  # the case has its id now: the events take it
    events.insert(timeline)
    record_event(
        actor=applicant, action="case.submitted", obj=case, acting_for=acting_for,
        after={"number": case.number, "matter": matter.code, "status": case.status,
               "verdict": verdict.outcome if verdict else None},
        rule_set_version=case.rule_set_version.label if case.rule_set_version else "",
    )
    _notify_submission(case)
    case.__dict__["_written_now"] = (timeline, materials)
    return case


def as_written(case: Case) -> Case:
    """The case a submission just wrote, its events and materials set as if prefetched (no read back).

    For answering the request that wrote it; a case held longer should be read again.
    """
    written = case.__dict__.pop("_written_now", None)
    if written is None:
        return case
    cache: dict[str, Any] = {}
    for name, rows in zip(("events", "materials"), written, strict=True):
        queryset = getattr(case, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    case.__dict__["_prefetched_objects_cache"] = cache
    return case


def _verdict(case: Case, *, matter: Matter, fields: list[Any], cleaned: Mapping[str, Any], facts: dict[str, Any],
             missing: list[MaterialRequirement], timeline: list[CaseEvent]) -> Verdict | None:
    """Evaluate the matter's current rule set on a case not yet stored: set its final status and timeline."""
    if not matter.is_automatic or matter.rule_set is None:
        return None
    version = matter.rule_set.current_version()
    if version is None:
        return None
    verdict = evaluate(parsed_version(version), {**facts, "form": rule_facts(fields, cleaned)})
    payload = verdict.as_dict()
    if missing:
        names = "、".join(r.name for r in missing)
        payload["outcome"] = "refer"
        payload["reasons"] = [*payload["reasons"], _("Required materials missing: %(names)s") % {"names": names}]
    case.verdict = payload
    case.rule_set_version = version
    if payload["outcome"] == APPROVE:
        target, action, note = Status.APPROVED, "approved_automatically", version.label
        case.decided_automatically = True
        case.decided_at = timezone.now()
    else:
        target, action, note = Status.UNDER_REVIEW, "referred", "；".join(payload["reasons"])
        _restart_clock_for_review(case, matter)
    if not can_transition(case.status, target):
        raise TransitionRefused(NOT_ALLOWED_NOW % {"status": case.get_status_display()})
    timeline.append(CaseEvent(case=case, actor=None, actor_label="", action=action, from_status=case.status,
                              to_status=target, note=note, at=case.decided_at or timezone.now()))
    case.status = target
    return verdict


def open_case(
    *, matter: Matter | None, enterprise: Enterprise, applicant: User, data: Mapping[str, Any],
    sources: Mapping[str, Any], now: dt.datetime, acting_for: str = "", status: str = Status.SUBMITTED,
    idempotency_key: str = "", fingerprint: str = "", parent: Case | None = None, step_key: str = "",
    bundle_code: str = "", title: str = "", due_at: dt.datetime | None = None,
    statutory_due_at: dt.datetime | None = None,
) -> Case:
    """Store a case row and its first timeline event (a step of a larger service: no audit record of its own)."""
    with events.atomic():
        return _open_case(matter=matter, enterprise=enterprise, applicant=applicant, data=data, sources=sources,
                          now=now, acting_for=acting_for, status=status, idempotency_key=idempotency_key,
                          fingerprint=fingerprint, parent=parent, step_key=step_key, bundle_code=bundle_code,
                          title=title, due_at=due_at, statutory_due_at=statutory_due_at)


def _open_case(
    *, matter: Matter | None, enterprise: Enterprise, applicant: User, data: Mapping[str, Any],
    sources: Mapping[str, Any], now: dt.datetime, acting_for: str, status: str, idempotency_key: str,
    fingerprint: str, parent: Case | None, step_key: str, bundle_code: str, title: str,
    due_at: dt.datetime | None, statutory_due_at: dt.datetime | None,
) -> Case:
    if matter is not None:
        due_at = due_at or add_limit(now, matter.promised_limit, matter.promised_unit)
        statutory_due_at = statutory_due_at or add_limit(now, matter.statutory_limit, matter.statutory_unit)
    assert due_at is not None and statutory_due_at is not None
    case = Case.objects.create(
        number=case_number(now), matter=matter, enterprise=enterprise, applicant=applicant,
        acting_for=acting_for, status=status, data=dict(data), prefill_sources=dict(sources),
        submitted_at=now, due_at=due_at, statutory_due_at=statutory_due_at,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint, parent=parent, step_key=step_key,
        bundle_code=bundle_code, title=title,
    )
    action = {str(Status.WAITING): "waiting", str(Status.IN_PROGRESS): "bundle_submitted"}.get(status, "submitted")
    CaseEvent.objects.create(
        case=case, actor=applicant, actor_label=applicant.label(), acting_for=acting_for,
        action=action, to_status=status,
    )
    return case


def start_case(case: Case, *, actor: User | None, action: str, data: Mapping[str, Any],
               sources: Mapping[str, Any], acting_for: str = "", note: str = "",
               facts: Mapping[str, Fact] | None = None) -> Verdict | None:
    """Start a waiting or prepared step now: the clock starts, then its rules may decide it.

    `data` must already be validated against the matter's form.
    """
    matter = matter_of(case)
    with events.atomic():
        now = timezone.now()
        case.data = dict(data)
        case.prefill_sources = dict(sources)
        case.submitted_at = now
        case.due_at = add_limit(now, matter.promised_limit, matter.promised_unit)
        case.statutory_due_at = add_limit(now, matter.statutory_limit, matter.statutory_unit)
        if acting_for:
            case.acting_for = acting_for
        transition(case, Status.SUBMITTED, actor=actor, action=action, note=note, acting_for=case.acting_for)
        case.save()
        fields = list(matter.fields.all())
        requirements = list(matter.materials.all())
        attach_data_materials(case, requirements, actor=actor or case.applicant)
        _emit_submitted(case)
        values = fact_values(dict(facts) if facts is not None else facts_for(case.enterprise.uscc))
        verdict = _decide_automatically(case, fields=fields, cleaned=case.data, facts=values,
                                        requirements=requirements)
        record_event(
            actor=actor, action="case.started", obj=case, acting_for=case.acting_for,
            after={"number": case.number, "matter": matter.code, "status": case.status,
                   "verdict": verdict.outcome if verdict else None},
            rule_set_version=case.rule_set_version.label if case.rule_set_version else "",
        )
        _notify_submission(case)
    return verdict


def _emit_submitted(case: Case) -> None:
    events.emit(CaseSubmitted(
        case_id=case.pk, number=case.number, matter=matter_of(case).code, bundle=case.bundle_code,
        parent_id=case.parent_id, acting_for=case.acting_for, **about(case.enterprise),
    ))


def _decide_automatically(case: Case, *, fields: list[Any], cleaned: Mapping[str, Any],
                          facts: dict[str, Any], requirements: list[MaterialRequirement]) -> Verdict | None:
    """Evaluate the matter's current rule set; approve and issue at once when every condition passes."""
    matter = matter_of(case)
    if not matter.is_automatic or matter.rule_set is None:
        return None
    version = matter.rule_set.current_version()
    if version is None:
        return None
    verdict = evaluate(parsed_version(version), {**facts, "form": rule_facts(fields, cleaned)})
    missing = missing_materials(case, requirements)
    payload = verdict.as_dict()
    if missing:
        names = "、".join(r.name for r in missing)
        payload["outcome"] = "refer"
        payload["reasons"] = [*payload["reasons"], _("Required materials missing: %(names)s") % {"names": names}]
    case.verdict = payload
    case.rule_set_version = version
    if payload["outcome"] == APPROVE:
        transition(case, Status.APPROVED, actor=None, action="approved_automatically", note=version.label)
        case.decided_automatically = True
        case.decided_at = timezone.now()
        case.save()
        events.emit(CaseDecided(case_id=case.pk, number=case.number, matter=matter.code, outcome="approved",
                                automatic=True, parent_id=case.parent_id, **about(case.enterprise)))
        issue_licence(case)
        emit_closed(case)
    else:
        transition(case, Status.UNDER_REVIEW, actor=None, action="referred", note="；".join(payload["reasons"]))
        _restart_clock_for_review(case, matter)
        case.save()
    return verdict


def _restart_clock_for_review(case: Case, matter: Matter) -> None:
    """A case the rules refer to a person gets the matter's manual time limit, counted from the referral.

    The promised limit of a matter decided in seconds is the filing day itself; a person needs the
    manual limit (`Matter.manual_limit`, else the statutory one), never a deadline already upon them.
    """
    due = clock.add(timezone.now(), manual_limit(matter)).at
    case.due_at = max(case.due_at, due)
    case.statutory_due_at = max(case.statutory_due_at, case.due_at)


def _notify_submission(case: Case) -> None:
    if case.status == Status.APPROVED:
        return  # the licence notice says it all: approved in seconds, licence ready
    notify(recipient=case.applicant, kind=Notification.Kind.CASE_RECEIVED,
           title=Text(gettext_noop("Received: %(matter)s"), {"matter": named(matter_of(case))}),
           body=Text(gettext_noop("Case %(number)s was received; promised decision by %(due)s."),
                     {"number": case.number, "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d")}),
           link=link(case))
