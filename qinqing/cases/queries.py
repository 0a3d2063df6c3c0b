"""Shaped reads of cases, licences, prefill and the platform's headline counters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.cases.formdata import Prefill, build_prefill, clean_form_data
from qinqing.cases.models import Case, Licence, PendingUpload
from qinqing.cases.services.tallies import CASES, ENTERPRISES, SERVICE_USES, tallies
from qinqing.cases.workflow import CLOSED_STATUSES, OPEN_STATUSES, QUEUE_STATUSES, Status, action_label
from qinqing.catalog.models import Matter
from qinqing.datahub.queries import facts_for


def platform_stats() -> dict[str, int]:
    """Headline counters: the catalog counted live, the rest from the counters the outbox consumer keeps."""
    matters = Matter.objects.online().aggregate(
        online=Count("id"), automatic=Count("id", filter=Q(automatic=True, rule_set__isnull=False))
    )
    counted = tallies()
    return {
        "matters_online": matters["online"],
        "matters_automatic": matters["automatic"],
        "cases": counted[CASES],
        "service_uses": counted[SERVICE_USES],
        "enterprises_served": counted[ENTERPRISES],
    }


def prefill_for(matter: Matter, uscc: str) -> Prefill:
    """Values government already holds for a matter's form, each with its provenance."""
    return build_prefill(((f.key, f) for f in matter.fields.all()), facts_for(uscc))


def application_errors(matter: Matter, uscc: str, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every field error an application would get, without storing anything."""
    return clean_form_data(matter.fields.all(), data, facts_for(uscc))[2]


def kept_by_material(user: User, form_key: str) -> dict[str, PendingUpload]:
    """The files a form rendering has already accepted, by material code."""
    return {p.requirement_code: p for p in PendingUpload.objects.for_form(user, form_key)}


def cases_for(user: User) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("matter", "matter__department", "enterprise", "parent")


def enterprise_desk(user: User) -> dict[str, Any]:
    """An enterprise's 我的办事: what needs its action first, then open cases by deadline, then licences.

    `supplements`: cases waiting for the enterprise's supplement (补正), earliest deadline first;
    `open`: the other open applications by deadline; `licences`: valid licences, newest first.
    """
    mine = cases_for(user)
    supplements = list(mine.filter(status=Status.SUPPLEMENT_REQUESTED).prefetch_related("matter__materials")
                       .order_by("due_at", "id")[:50])
    open_cases = list(mine.filter(status__in=OPEN_STATUSES, parent__isnull=True)
                      .exclude(status=Status.SUPPLEMENT_REQUESTED).order_by("due_at", "id")[:50])
    licences = list(Licence.objects.visible_to(user).filter(status=Licence.Status.VALID)
                    .select_related("matter").order_by("-issued_at")[:10])
    return {"supplements": supplements, "open": open_cases, "licences": licences,
            "closed_recently": list(mine.filter(parent__isnull=True).exclude(status__in=OPEN_STATUSES)
                                    .order_by("-decided_at", "-id")[:5])}


def review_queue(user: User) -> QuerySet[Case]:
    """A reviewer's open cases, earliest deadline first."""
    return cases_for(user).filter(status__in=QUEUE_STATUSES).order_by("due_at", "id")


def decision_summary(case: Case) -> dict[str, Any]:
    """The enterprise-facing decision: approved or referred, with plain reasons."""
    english = (get_language() or "").startswith("en")
    if case.verdict is not None:
        outcome = "approved" if case.verdict.get("outcome") == "approve" else "referred"
        reasons = list(case.verdict.get("reasons", []))
        if english:
            translated = [t.get("message_en") or t.get("message") for t in case.verdict.get("trace", [])
                          if t.get("outcome") != "pass"]
            reasons = translated + reasons[len(translated):]
    else:
        outcome = "referred"
        reasons = [_("This matter is reviewed by the department.")]
    return {
        "outcome": outcome, "reasons": reasons,
        "rule_set_version": case.rule_set_version.label if case.rule_set_version_id and case.rule_set_version else None,
        "trace": list(case.verdict.get("trace", [])) if case.verdict else [],
    }


def licence_summary(licence: Licence | None) -> dict[str, Any] | None:
    if licence is None:
        return None
    return {
        "number": licence.number, "title": licence.title, "holder": licence.holder_name,
        "issued_at": licence.issued_at, "valid_until": licence.valid_until, "status": licence.status,
        "pdf_url": f"/api/v1/licences/{licence.number}/pdf", "verify_url": f"/verify/{licence.number}/",
    }


def case_licence(case: Case) -> Licence | None:
    try:
        return case.licence
    except Licence.DoesNotExist:
        return None


# The columns `case_summary` reads (with its deadline flags): a list page loads these and nothing else, so
# no form data, no matter definition, no parent case is read and decoded for a page of 50 (issue 10 §3).
SUMMARY_FIELDS = (
    "id", "number", "status", "title", "bundle_code", "step_key", "parent_id", "submitted_at", "due_at",
    "statutory_due_at", "decided_at", "paused_at", "matter__code", "matter__name", "matter__promised_unit",
    "matter__statutory_unit", "enterprise__uscc",
)


def for_summaries(cases: QuerySet[Case]) -> QuerySet[Case]:
    """`cases` reading only what a list of summaries shows (the same rows, fewer columns and joins)."""
    return cases.select_related(None).select_related("matter", "enterprise").only(*SUMMARY_FIELDS)


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk, "number": case.number, "status": case.status,
        "matter": case.matter.code if case.matter else None,
        "matter_name": case.matter.name if case.matter else case.title,
        "bundle": case.bundle_code or None, "step": case.step_key or None, "parent_id": case.parent_id,
        "enterprise": case.enterprise.uscc, "submitted_at": case.submitted_at,
        "due_at": case.due_at, "statutory_due_at": case.statutory_due_at, "decided_at": case.decided_at,
        "overdue": case.is_overdue, "paused": case.paused_at is not None,
        "deadline_provisional": case.deadline_provisional,
    }


def _relative(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "number": case.number, "status": case.status, "step": case.step_key or None,
            "matter": case.matter.code if case.matter else None, "title": case.display_title,
            "bundle": case.bundle_code or None, "due_at": case.due_at, "decided_at": case.decided_at}


def case_relatives(case: Case) -> dict[str, Any]:
    """A bundle's parent lists its children; a child names its parent and its sibling steps."""
    if case.is_bundle:
        children = case.children.select_related("matter").order_by("id")
        return {"parent": None, "children": [_relative(c) for c in children]}
    if case.parent_id is not None and case.parent is not None:
        siblings = case.parent.children.select_related("matter").order_by("id")
        return {"parent": {**_relative(case.parent), "steps": [_relative(c) for c in siblings]}, "children": []}
    return {"parent": None, "children": []}


def parent_progress(parent: Case) -> dict[str, Any]:
    """A 一件事 parent's progress: how many steps are approved, open, waiting or failed, and each step's status."""
    children = list(parent.children.select_related("matter").order_by("id"))
    counts = {"approved": 0, "open": 0, "waiting": 0, "failed": 0}
    for child in children:
        if child.status == Status.APPROVED:
            counts["approved"] += 1
        elif child.status in (Status.WAITING, Status.PREPARING):
            counts["waiting"] += 1
        elif child.status in CLOSED_STATUSES:
            counts["failed"] += 1
        else:
            counts["open"] += 1
    return {
        "total": len(children), **counts,
        "finished": all(c.status in CLOSED_STATUSES for c in children),
        "steps": [{"id": c.pk, "number": c.number, "step": c.step_key, "matter": c.matter.code if c.matter else None,
                   "title": c.display_title, "status": c.status, "status_label": c.get_status_display(),
                   "decided_at": c.decided_at} for c in children],
    }


def progress_message(progress: dict[str, Any]) -> str:
    """Say what a 一件事 submission did, from its steps' statuses (not what it might do)."""
    total, approved = progress["total"], progress["approved"]
    if total and approved == total:
        return _("Submitted: all %(n)d steps have been approved; the licences are ready.") % {"n": total}
    parts = [_("Submitted: %(approved)d of %(total)d steps approved") % {"approved": approved, "total": total}]
    if progress["open"]:
        parts.append(_("%(n)d with the departments") % {"n": progress["open"]})
    if progress["waiting"]:
        parts.append(_("%(n)d start once the steps they wait for are approved") % {"n": progress["waiting"]})
    if progress["failed"]:
        parts.append(_("%(n)d not approved") % {"n": progress["failed"]})
    return _("%(parts)s.") % {"parts": _("; ").join(str(p) for p in parts)}


def _actor_name(label: str, case: Case) -> str:
    """Who acted, as a person reads it: the deciding department in the current language, else the label."""
    department = case.matter.department if case.matter else None
    if department is not None and label == department.name:
        return department.display_name
    return label or str(_("System"))
def acting_agent(case: Case) -> str:
    """Who acted for the enterprise on this case (政府替办): the agent's name, or "" when nobody did."""
    if case.applicant.is_agent:
        return case.applicant.label()
    if "events" in getattr(case, "_prefetched_objects_cache", {}):  # a case just written: its events in memory
        acted = [e for e in case.events.all() if e.actor_id is not None and e.acting_for]
        event = max(acted, key=lambda e: (e.at, e.pk or 0), default=None)
    else:
        event = (case.events.filter(actor__isnull=False).exclude(acting_for="")
                 .select_related("actor", "actor__department", "actor__enterprise").order_by("-at", "-pk").first())
    if event is None or event.actor is None or not event.actor.is_agent:
        return ""
    return event.actor.label()


def case_detail(case: Case) -> dict[str, Any]:
    if case.is_bundle:
        # A parent is not a matter: it has no decision of its own, only the progress of its steps.
        decision: dict[str, Any] | None = None
        progress: dict[str, Any] | None = parent_progress(case)
    else:
        decision, progress = decision_summary(case), None
    return {
        **case_summary(case),
        "acting_for": case.acting_for,
        "agent": acting_agent(case),
        "data": case.data,
        "prefill_sources": case.prefill_sources,
        "decision": decision,
        "progress": progress,
        "decision_note": case.decision_note,
        "licence": licence_summary(case_licence(case)),
        "events": [
            {"at": e.at, "actor": _actor_name(e.actor_label, case), "acting_for": e.acting_for,
             "action": e.action, "action_label": action_label(e.action),
             "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in case.events.all()
        ],
        "materials": [
            {"id": m.pk, "name": m.original_name, "requirement": m.requirement.code if m.requirement else None,
             "content_type": m.content_type, "size": m.size, "uploaded_at": m.uploaded_at,
             "for_supplement": m.for_supplement,
             "from_data": {"source": m.data_source, "source_name": m.data_source_name,
                           "record": m.data_reference, "as_of": m.data_as_of} if m.data_source else None}
            for m in (case.materials.all() if "materials" in getattr(case, "_prefetched_objects_cache", {})
                      else case.materials.select_related("requirement"))
        ],
        **case_relatives(case),
    }


def due_marks(case: Case) -> str:
    """"overdue", "near_due" or "" for the reviewer's queue."""
    if case.is_overdue:
        return "overdue"
    if case.is_near_due():
        return "near_due"
    return ""


