"""Every state change of a case: one function each, owning its transaction and audit record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import chained_at_end, record_event
from qinqing.cases.errors import (
    NOT_ALLOWED_NOW,
    CaseInvalid,
    IdempotencyMismatch,
    NotAnEnterprise,
    TransitionRefused,
)
from qinqing.cases.formdata import clean_form_data, rule_facts
from qinqing.cases.models import Case, CaseEvent, Licence, Material
from qinqing.cases.signals import case_closed
from qinqing.cases.signing import sign
from qinqing.cases.uploads import CheckedUpload
from qinqing.cases.workflow import CLOSED_STATUSES, Status, can_transition
from qinqing.catalog.models import MaterialRequirement, Matter
from qinqing.core import clock
from qinqing.core.calendar import add_limit
from qinqing.datahub.queries import Fact, fact_values, facts_for, find_material_record
from qinqing.datahub.services import record_licence
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.rules.engine import APPROVE, Verdict, evaluate
from qinqing.rules.services import parsed_version

Upload = tuple[str, CheckedUpload]  # (requirement code or "", checked file)
FORM = "form"  # MaterialRequirement.satisfied_by: the online form itself is this material


def _matter(case: Case) -> Matter:
    """The case's matter; a bundle's parent case has none and is acted on through its steps."""
    if case.matter is None:
        raise TransitionRefused(_("This is a 一件事: act on its steps."))
    return case.matter


def _snapshot(case: Case) -> dict[str, Any]:
    return {"status": case.status, "due_at": case.due_at, "paused_at": case.paused_at}


def _number(now: dt.datetime) -> str:
    return f"QQ{timezone.localtime(now):%Y%m%d}{secrets.token_hex(4).upper()}"


def _fingerprint(matter: Matter, data: Mapping[str, Any]) -> str:
    text = json.dumps({"matter": matter.code, "data": data}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _move(case: Case, target: str, *, actor: User | None, action: str, note: str = "",
          acting_for: str = "") -> None:
    """Change status through the transition table and add a timeline event."""
    if not can_transition(case.status, target):
        raise TransitionRefused(NOT_ALLOWED_NOW % {"status": case.get_status_display()})
    before = case.status
    case.status = target
    CaseEvent.objects.create(
        case=case, actor=actor, actor_label=actor.label() if actor else "",
        acting_for=acting_for, action=action, from_status=before, to_status=target, note=note,
    )


def _link(case: Case) -> str:
    return f"/cases/{case.pk}/"


def _store_materials(case: Case, uploads: Iterable[Upload], user: User, *, supplement: bool) -> list[Material]:
    uploads = list(uploads)
    if not uploads:
        return []
    requirements = {r.code: r for r in _matter(case).materials.all()}
    stored = []
    for code, upload in uploads:
        requirement = requirements.get(code) if code else None
        if code and requirement is None:
            raise CaseInvalid(_("Unknown material."), errors={"requirement": [_("No material %(code)s.") % {"code": code}]})
        material = Material(
            case=case, requirement=requirement, stored_name=upload.stored_name, original_name=upload.display_name,
            content_type=upload.content_type, size=len(upload.content), sha256=upload.sha256, uploaded_by=user,
            for_supplement=supplement,
        )
        material.file.save(upload.stored_name, ContentFile(upload.content), save=False)
        material.save()
        stored.append(material)
    return stored


def attach_upload(case: Case, requirement: MaterialRequirement | None, upload: CheckedUpload, *, user: User,
                  stored_file: str = "") -> Material:
    """Add one checked upload to a case; `stored_file` reuses a file already stored for a sibling case."""
    material = Material(
        case=case, requirement=requirement, stored_name=upload.stored_name, original_name=upload.display_name,
        content_type=upload.content_type, size=len(upload.content), sha256=upload.sha256, uploaded_by=user,
    )
    if stored_file:
        material.file.name = stored_file
    else:
        material.file.save(upload.stored_name, ContentFile(upload.content), save=False)
    material.save()
    return material


def missing_materials(case: Case, requirements: list[MaterialRequirement] | None = None) -> list[MaterialRequirement]:
    """Required materials with neither an upload nor a shared-data record yet."""
    assert case.matter is not None
    required = [r for r in (_matter(case).materials.all() if requirements is None else requirements)
                if r.required and r.satisfied_by != FORM]
    if not required:
        return []
    have = set(case.materials.exclude(requirement=None).values_list("requirement_id", flat=True))
    return [r for r in required if r.pk not in have]


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
    fingerprint = _fingerprint(matter, data)
    if idempotency_key:
        existing = Case.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, fingerprint), False
    enterprise = applicant.enterprise
    facts = facts_for(enterprise.uscc)
    fields = list(matter.fields.all())
    requirements = list(matter.materials.all())
    cleaned, sources, errors = clean_form_data(fields, data, facts, fill_booleans=fill_booleans)
    if errors:
        raise CaseInvalid(_("Please correct the marked fields."), errors=errors)
    uploads = list(uploads)
    now = timezone.now()
    try:
        with transaction.atomic():
            case = open_case(
                matter=matter, enterprise=enterprise, applicant=applicant, data=cleaned, sources=sources,
                acting_for=acting_for, now=now, idempotency_key=idempotency_key, fingerprint=fingerprint,
            )
            _store_materials(case, uploads, applicant, supplement=False)
            attach_data_materials(case, requirements, actor=applicant)
            verdict = _decide_automatically(case, fields=fields, cleaned=cleaned, facts=fact_values(facts),
                                            requirements=requirements)
            record_event(
                actor=applicant, action="case.submitted", obj=case, acting_for=acting_for,
                after={"number": case.number, "matter": matter.code, "status": case.status,
                       "verdict": verdict.outcome if verdict else None},
                rule_set_version=case.rule_set_version.label if case.rule_set_version else "",
            )
            _notify_submission(case)
    except IntegrityError:
        # A concurrent retry with the same key won the race: return what it created.
        if idempotency_key:
            existing = Case.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, fingerprint), False
        raise
    return case, True


def _replay(existing: Case, fingerprint: str) -> Case:
    if existing.request_fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyMismatch(_("This Idempotency-Key was already used for a different application."))
    return existing


def new_number(now: dt.datetime | None = None) -> str:
    """A fresh case number: QQ + local date + 8 hex digits."""
    return _number(now or timezone.now())


def open_case(
    *, matter: Matter | None, enterprise: Any, applicant: User, data: Mapping[str, Any],
    sources: Mapping[str, Any], now: dt.datetime, acting_for: str = "", status: str = Status.SUBMITTED,
    idempotency_key: str = "", fingerprint: str = "", parent: Case | None = None, step_key: str = "",
    bundle_code: str = "", title: str = "", due_at: dt.datetime | None = None,
    statutory_due_at: dt.datetime | None = None,
) -> Case:
    """Store a case row and its first timeline event; the caller owns the transaction."""
    if matter is not None:
        due_at = due_at or add_limit(now, matter.promised_limit, matter.promised_unit)
        statutory_due_at = statutory_due_at or add_limit(now, matter.statutory_limit, matter.statutory_unit)
    assert due_at is not None and statutory_due_at is not None
    case = Case.objects.create(
        number=_number(now), matter=matter, enterprise=enterprise, applicant=applicant,
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


def attach_data_materials(case: Case, requirements: Iterable[MaterialRequirement], *, actor: User) -> list[Material]:
    """Satisfy material requirements from records government already holds (材料免提交).

    A requirement with `satisfied_by` naming a datahub source (or a licence the platform issued)
    gets a Material that points at the record instead of a file. Nothing is added for a
    requirement already met by an upload.
    """
    have = set(case.materials.exclude(requirement=None).values_list("requirement_id", flat=True))
    added: list[Material] = []
    for requirement in requirements:
        if not requirement.satisfied_by or requirement.satisfied_by == FORM or requirement.pk in have:
            continue
        record = find_material_record(case.enterprise.uscc, requirement.satisfied_by)
        if record is None:
            continue
        added.append(Material.objects.create(
            case=case, requirement=requirement, stored_name="", original_name=record.title or requirement.name,
            content_type="", size=0, sha256="", uploaded_by=actor, data_source=record.source,
            data_source_name=record.source_name, data_reference=record.key, data_as_of=record.as_of,
        ))
    if added:
        CaseEvent.objects.create(
            case=case, actor=None, actor_label=str(_("Shared data")), action="materials_from_data",
            note="、".join(f"{m.requirement.name if m.requirement else m.original_name}（{m.data_source_name}）"
                          for m in added),
        )
    return added


def start_case(case: Case, *, actor: User | None, action: str, data: Mapping[str, Any],
               sources: Mapping[str, Any], acting_for: str = "", note: str = "",
               facts: Mapping[str, Fact] | None = None) -> Verdict | None:
    """Start a waiting or prepared child case now: the clock starts, then the rules may decide it.

    The caller owns the transaction and has validated `data` against the matter's form.
    """
    matter = _matter(case)
    now = timezone.now()
    case.data = dict(data)
    case.prefill_sources = dict(sources)
    case.submitted_at = now
    case.due_at = add_limit(now, matter.promised_limit, matter.promised_unit)
    case.statutory_due_at = add_limit(now, matter.statutory_limit, matter.statutory_unit)
    if acting_for:
        case.acting_for = acting_for
    _move(case, Status.SUBMITTED, actor=actor, action=action, note=note, acting_for=case.acting_for)
    case.save()
    fields = list(matter.fields.all())
    requirements = list(matter.materials.all())
    attach_data_materials(case, requirements, actor=actor or case.applicant)
    values = fact_values(dict(facts) if facts is not None else facts_for(case.enterprise.uscc))
    verdict = _decide_automatically(case, fields=fields, cleaned=case.data, facts=values, requirements=requirements)
    record_event(
        actor=actor, action="case.started", obj=case, acting_for=case.acting_for,
        after={"number": case.number, "matter": matter.code, "status": case.status,
               "verdict": verdict.outcome if verdict else None},
        rule_set_version=case.rule_set_version.label if case.rule_set_version else "",
    )
    _notify_submission(case)
    return verdict


def move_case(case: Case, target: str, *, actor: User | None, action: str, note: str = "",
              acting_for: str = "") -> None:
    """Change a case's status through the transition table, record it, save; the caller owns the transaction."""
    before = _snapshot(case)
    _move(case, target, actor=actor, action=action, note=note, acting_for=acting_for)
    if target in CLOSED_STATUSES:
        case.decided_at = case.decided_at or timezone.now()
        case.paused_at = None
    case.save()
    record_event(actor=actor, action=f"case.{action}", obj=case, before=before, after=_snapshot(case),
                 acting_for=acting_for)
    if target in CLOSED_STATUSES:
        case_closed.send(sender=Case, case=case)


def _decide_automatically(case: Case, *, fields: list[Any], cleaned: Mapping[str, Any],
                          facts: dict[str, Any], requirements: list[MaterialRequirement]) -> Verdict | None:
    """Evaluate the matter's current rule set; approve and issue at once when every condition passes."""
    matter = _matter(case)
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
        _move(case, Status.APPROVED, actor=None, action="approved_automatically", note=version.label)
        case.decided_automatically = True
        case.decided_at = timezone.now()
        case.save()
        _issue_licence(case)
        case_closed.send(sender=Case, case=case)
    else:
        _move(case, Status.UNDER_REVIEW, actor=None, action="referred",
              note="；".join(payload["reasons"]))
        case.save()
    return verdict


def _notify_submission(case: Case) -> None:
    if case.status == Status.APPROVED:
        return  # the licence notice says it all: approved in seconds, licence ready
    notify(recipient=case.applicant, kind=Notification.Kind.CASE_RECEIVED,
           title=_("Received: %(matter)s") % {"matter": _matter(case).name},
           body=_("Case %(number)s was received; promised decision by %(due)s.")
           % {"number": case.number, "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d")},
           link=_link(case))


def _issue_licence(case: Case) -> Licence:
    matter = _matter(case)
    issued = case.decided_at or timezone.now()
    valid_until = None
    if matter.licence_valid_years:
        start = timezone.localtime(issued).date()
        try:
            valid_until = start.replace(year=start.year + matter.licence_valid_years) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            valid_until = start.replace(month=2, day=28, year=start.year + matter.licence_valid_years)
    number = f"{matter.department.code}-{timezone.localtime(issued):%Y}-{secrets.token_hex(5).upper()}"
    payload = {
        "number": number, "title": matter.licence_name, "holder": case.enterprise.name,
        "uscc": case.enterprise.uscc, "matter": matter.code, "matter_name": matter.name,
        "issuer": matter.department.name, "issued_at": timezone.localtime(issued).isoformat(timespec="seconds"),
        "valid_until": valid_until.isoformat() if valid_until else None, "case": case.number,
    }
    licence = Licence.objects.create(
        number=number, case=case, enterprise=case.enterprise, matter=matter, title=matter.licence_name,
        holder_name=case.enterprise.name, issued_at=issued, valid_until=valid_until, payload=payload,
        signature=sign(payload),
    )
    CaseEvent.objects.create(case=case, actor=None, actor_label=matter.department.name, action="licence_issued",
                             note=number)
    record_licence(uscc=case.enterprise.uscc, number=number, matter_code=matter.code, title=matter.licence_name,
                   issued_at=issued, valid_until=valid_until, status=Licence.Status.VALID)
    notify(recipient=case.applicant, kind=Notification.Kind.LICENCE_ISSUED,
           title=_("Approved, licence issued: %(title)s") % {"title": matter.licence_name},
           body=_("Case %(case)s for %(matter)s was approved; licence %(number)s is ready to download.")
           % {"case": case.number, "matter": matter.name, "number": number}, link=_link(case))
    return licence


def _locked(case: Case) -> Case:
    """Lock the case for a state change; a bundle's step locks its parent first.

    Advancing a bundle locks the parent, then its steps: taking the locks in that order keeps two
    decisions on sibling steps from deadlocking. Only case rows are locked: the matter is a
    nullable (outer) join, which PostgreSQL cannot lock.
    """
    if case.parent_id is not None:
        Case.objects.select_for_update().only("pk").get(pk=case.parent_id)
    return (Case.objects.select_for_update(of=("self",)).select_related("matter", "matter__department", "enterprise")
            .get(pk=case.pk))


def _require_reviewer(case: Case, reviewer: User) -> None:
    if not (reviewer.is_reviewer and reviewer.department_id == _matter(case).department_id) and not reviewer.is_superuser:
        raise TransitionRefused(_("Only a reviewer of the responsible department may decide this case."))


def approve_case(*, case: Case, reviewer: User, note: str = "") -> Case:
    """Approve a case under review and issue its licence."""
    with transaction.atomic(), chained_at_end():  # approving a 一件事 step may start the next ones
        case = _locked(case)
        _require_reviewer(case, reviewer)
        before = _snapshot(case)
        _move(case, Status.APPROVED, actor=reviewer, action="approved", note=note)
        case.decided_at = timezone.now()
        case.decision_note = note
        case.save()
        _issue_licence(case)
        record_event(actor=reviewer, action="case.approved", obj=case, before=before, after=_snapshot(case))
        case_closed.send(sender=Case, case=case)
    return case


def reject_case(*, case: Case, reviewer: User, note: str) -> Case:
    """Reject a case; the reason is required and shown to the enterprise."""
    if not note.strip():
        raise CaseInvalid(_("Give the reason for the rejection."), errors={"note": [_("This field is required.")]})
    with transaction.atomic():
        case = _locked(case)
        _require_reviewer(case, reviewer)
        before = _snapshot(case)
        _move(case, Status.REJECTED, actor=reviewer, action="rejected", note=note)
        case.decided_at = timezone.now()
        case.decision_note = note
        case.save()
        record_event(actor=reviewer, action="case.rejected", obj=case, before=before, after=_snapshot(case))
        case_closed.send(sender=Case, case=case)
        notify(recipient=case.applicant, kind=Notification.Kind.DECISION,
               title=_("Not approved: %(matter)s") % {"matter": _matter(case).name},
               body=_("Case %(number)s was not approved: %(note)s") % {"number": case.number, "note": note},
               link=_link(case))
    return case


def request_supplement(*, case: Case, reviewer: User, note: str) -> Case:
    """Ask the enterprise for missing material; the deadline clock pauses until it answers."""
    if not note.strip():
        raise CaseInvalid(_("Say what must be supplemented."), errors={"note": [_("This field is required.")]})
    with transaction.atomic():
        case = _locked(case)
        _require_reviewer(case, reviewer)
        before = _snapshot(case)
        _move(case, Status.SUPPLEMENT_REQUESTED, actor=reviewer, action="supplement_requested", note=note)
        case.paused_at = timezone.now()
        case.decision_note = note
        case.save()
        record_event(actor=reviewer, action="case.supplement_requested", obj=case, before=before,
                     after=_snapshot(case))
        notify(recipient=case.applicant, kind=Notification.Kind.SUPPLEMENT_REQUESTED,
               title=_("Supplement requested: %(matter)s") % {"matter": _matter(case).name},
               body=note, link=_link(case))
    return case


def _shift(deadline: dt.datetime, paused_at: dt.datetime, now: dt.datetime, unit: str) -> dt.datetime:
    return clock.extend(deadline, unit, clock.Pause(paused_at, now)).at


def add_materials(*, case: Case, user: User, uploads: Iterable[Upload]) -> list[Material]:
    """Upload materials to an open case; answering a supplement request resumes the clock."""
    uploads = list(uploads)
    if not uploads:
        raise CaseInvalid(_("Choose a file to upload."), errors={"file": [_("This field is required.")]})
    with transaction.atomic():
        case = _locked(case)
        if case.enterprise_id != user.enterprise_id:
            raise TransitionRefused(_("Only the applicant may add materials."))
        if not case.is_open:
            raise TransitionRefused(NOT_ALLOWED_NOW % {"status": case.get_status_display()})
        before = _snapshot(case)
        supplementing = case.status == Status.SUPPLEMENT_REQUESTED
        stored = _store_materials(case, uploads, user, supplement=supplementing)
        names = "、".join(m.original_name for m in stored)
        if supplementing and case.paused_at is not None:
            now = timezone.now()
            case.due_at = _shift(case.due_at, case.paused_at, now, _matter(case).promised_unit)
            case.statutory_due_at = _shift(case.statutory_due_at, case.paused_at, now, _matter(case).statutory_unit)
            case.paused_at = None
            _move(case, Status.UNDER_REVIEW, actor=user, action="supplemented", note=names)
        else:
            CaseEvent.objects.create(case=case, actor=user, actor_label=user.label(), action="materials_added",
                                     note=names)
        case.save()
        record_event(actor=user, action="case.materials_added", obj=case, before=before,
                     after={**_snapshot(case), "materials": [m.sha256 for m in stored]})
    return stored


def withdraw_case(*, case: Case, user: User, note: str = "") -> Case:
    """Withdraw an application before it is decided."""
    with transaction.atomic():
        case = _locked(case)
        _matter(case)  # a 一件事 is withdrawn together with its steps, never on its own
        if case.enterprise_id != user.enterprise_id:
            raise TransitionRefused(_("Only the applicant may withdraw the case."))
        before = _snapshot(case)
        _move(case, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
        case.paused_at = None
        case.decided_at = timezone.now()
        case.save()
        record_event(actor=user, action="case.withdrawn", obj=case, before=before, after=_snapshot(case))
        case_closed.send(sender=Case, case=case)
    return case


def revoke_licence(*, licence: Licence, actor: User, reason: str) -> Licence:
    """Revoke a licence; verification reports it as revoked from now on."""
    if not reason.strip():
        raise CaseInvalid(_("Give the reason for the revocation."), errors={"reason": [_("This field is required.")]})
    with transaction.atomic():
        licence = Licence.objects.select_for_update().get(pk=licence.pk)
        if licence.status == Licence.Status.REVOKED:
            return licence
        licence.status = Licence.Status.REVOKED
        licence.revoked_at = timezone.now()
        licence.revoke_reason = reason
        licence.save()
        record_licence(uscc=licence.enterprise.uscc, number=licence.number, matter_code=licence.matter.code,
                       title=licence.title, issued_at=licence.issued_at, valid_until=licence.valid_until,
                       status=Licence.Status.REVOKED)
        record_event(actor=actor, action="licence.revoked", obj=licence, before={"status": "valid"},
                     after={"status": "revoked", "reason": reason})
    return licence
