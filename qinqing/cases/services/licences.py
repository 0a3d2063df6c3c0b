"""E-licences: issue one when a case is approved, revoke one."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.cases.errors import CaseInvalid
from qinqing.cases.models import Case, CaseEvent, Licence
from qinqing.cases.services._common import about, link, matter_of
from qinqing.cases.signing import sign, verify_kept
from qinqing.catalog.models import FormField, Matter
from qinqing.core import composed, events
from qinqing.core.events import LicenceIssued, LicenceRevoked
from qinqing.core.ids import current_division_code
from qinqing.core.values import unit_label
from qinqing.datahub.services import assign_project_code
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.notifications.texts import Named, Text, named

_INDUSTRY = re.compile(r"[A-T]\s*(\d{2})")


def _valid_until(issued: dt.datetime, years: int) -> dt.date | None:
    if not years:
        return None
    start = timezone.localtime(issued).date()
    try:
        return start.replace(year=start.year + years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(month=2, day=28, year=start.year + years)


def _display(field: FormField, value: Any) -> str:
    """A form value as the (Chinese) licence states it: a choice's label, 是/否, a figure with its unit."""
    if field.type == FormField.Type.BOOLEAN:
        return "是" if value else "否"
    if field.type == FormField.Type.CHOICE:
        for choice in field.choices or []:
            if str(choice.get("value")) == str(value):
                return str(choice.get("label") or value)
    if field.type in (FormField.Type.DECIMAL, FormField.Type.INTEGER):
        unit = unit_label(field.unit)
        return f"{value} {unit}" if unit else str(value)
    return str(value)


def licence_fields(case: Case, matter: Matter) -> list[dict[str, str]]:
    """The case's values the matter declares for its licence, in order: key, label, value as stated."""
    fields = {f.key: f for f in matter.fields.all()}
    out = []
    for key in matter.licence_fields or []:
        field = fields.get(key)
        value = case.data.get(key)
        if field is None or value is None or value == "":
            continue
        out.append({"key": key, "label": field.label, "value": _display(field, value)})
    return out


def _project_code(case: Case, matter: Matter, issued: dt.datetime) -> str:
    """Give the filed project its national code: the district chosen on the form, the industry's major group."""
    data = case.data
    district = ""
    for choice in next((f.choices for f in matter.fields.all() if f.key == "project_district"), []) or []:
        if str(choice.get("value")) == str(data.get("project_district")):
            district = current_division_code(str(choice.get("label") or ""))
    region = case.enterprise.region
    division = district or (region.code[:6] if region is not None and len(region.code) >= 6 else "330100")
    industry = next((m.group(1) for text in (data.get("project_industry"), data.get("industry_code"))
                     if isinstance(text, str) and (m := _INDUSTRY.search(text))), "00")
    return assign_project_code(
        uscc=case.enterprise.uscc, coded_on=timezone.localtime(issued).date(), division=division,
        industry=industry, name=str(data.get("project_name") or case.display_title),
        location=str(data.get("land_location") or ""), total_investment=data.get("total_investment"),
    )


_LICENCE_COLUMNS = tuple(f.attname for f in Licence._meta.concrete_fields)


def in_force_read(*, enterprise: Enterprise, matter_code: str) -> tuple[composed.Read, list[Any]]:
    """The read `licence_in_force` makes (`Licence.objects.in_force()` by SQL composed once per process), with
    its parameters: a caller may send it with its other reads (`datahub.queries.held_about(also=…)`)."""
    matters = connection.ops.quote_name(Matter._meta.db_table)
    read = composed.read(
        Licence, _LICENCE_COLUMNS,
        "{enterprise_id} = %s AND {status} = %s AND ({valid_until} IS NULL OR {valid_until} >= %s) "  # noqa: S608
        f"AND {{matter_id}} IN (SELECT {matters}.id FROM {matters} WHERE {matters}.code = %s)",
        order_by=("-issued_at", "-id"),
    )
    return read, [enterprise.pk, Licence.Status.VALID, timezone.localdate(), matter_code]


def licence_in_force(*, enterprise: Enterprise, matter_code: str,
                     rows: list[tuple[Any, ...]] | None = None) -> Licence | None:
    """The enterprise's newest licence for a matter that verification calls valid, or None.

    Valid means: a row the licence service wrote, not revoked, not expired, its signature good
    and its signed holder and matter the ones asked for. This, never a shared-data record, is what
    satisfies a `licences:<MATTER-CODE>` material. `rows`: what `in_force_read` already read, if it was
    sent with other reads (this runs in every decision whose matter takes a licence as a material).
    """
    if rows is None:
        read, params = in_force_read(enterprise=enterprise, matter_code=matter_code)
        rows = read.rows(params)
    found = rows
    for values in found:
        licence = Licence.from_db(connection.alias, list(_LICENCE_COLUMNS), list(values))
        signed = licence.payload if isinstance(licence.payload, dict) else {}
        if (signed.get("number") == licence.number and signed.get("uscc") == enterprise.uscc
                and signed.get("matter") == matter_code and verify_kept(signed, licence.signature)):
            return licence
    return None


def issue_licence(case: Case, *, timeline: list[CaseEvent] | None = None) -> Licence:
    """Sign and store the licence of an approved case; runs inside the approving service's transaction.

    With `timeline`, its event is appended there for the caller to write with the case's others.
    """
    matter = matter_of(case)
    issued = case.decided_at or timezone.now()
    valid_until = _valid_until(issued, matter.licence_valid_years or 0)
    number = f"{matter.department.code}-{timezone.localtime(issued):%Y}-{secrets.token_hex(5).upper()}"
    fields = licence_fields(case, matter)
    payload: dict[str, Any] = {
        "number": number, "title": matter.licence_name, "holder": case.enterprise.name,
        "uscc": case.enterprise.uscc, "matter": matter.code, "matter_name": matter.name,
        "issuer": matter.department.name, "issued_at": timezone.localtime(issued).isoformat(timespec="seconds"),
        "valid_until": valid_until.isoformat() if valid_until else None, "case": case.number,
    }
    if matter.issues_project_code:
        payload["project_code"] = _project_code(case, matter, issued)
        fields.insert(0, {"key": "project_code", "label": "项目代码", "value": payload["project_code"]})
    payload["fields"] = fields
    licence = Licence(
        id=events.reserved_id(Licence), number=number, case=case, enterprise=case.enterprise, matter=matter,
        title=matter.licence_name, holder_name=case.enterprise.name, issued_at=issued, valid_until=valid_until,
        payload=payload, signature=sign(payload),
    )
    events.insert([licence])
    event = CaseEvent(case=case, actor=None, actor_label=matter.department.name, action="licence_issued", note=number)
    if timeline is None:
        event.save()
    else:
        timeline.append(event)
    events.emit(LicenceIssued(
        licence_id=licence.pk, number=number, matter=matter.code, title=matter.licence_name, case_id=case.pk,
        issued_at=issued.isoformat(), valid_until=valid_until.isoformat() if valid_until else "",
        **about(case.enterprise),
    ))
    notify(recipient=case.applicant, kind=Notification.Kind.LICENCE_ISSUED,
           title=Text(gettext_noop("Approved, licence issued: %(title)s"),
                      {"title": Named(matter.licence_name, matter.licence_name_en)}),
           body=Text(gettext_noop("Case %(case)s for %(matter)s was approved; licence %(number)s is ready to download."),
                     {"case": case.number, "matter": named(matter), "number": number}), link=link(case))
    return licence


def revoke_licence(*, licence: Licence, actor: User, reason: str) -> Licence:
    """Revoke a licence; verification reports it as revoked from now on."""
    if not reason.strip():
        raise CaseInvalid(_("Give the reason for the revocation."), errors={"reason": [_("This field is required.")]})
    with events.atomic():
        licence = (Licence.objects.select_for_update(of=("self",))
                   .select_related("matter", "enterprise", "enterprise__region").get(pk=licence.pk))
        if licence.status == Licence.Status.REVOKED:
            return licence
        licence.status = Licence.Status.REVOKED
        licence.revoked_at = timezone.now()
        licence.revoke_reason = reason
        licence.save()
        events.emit(LicenceRevoked(
            licence_id=licence.pk, number=licence.number, matter=licence.matter.code, title=licence.title,
            issued_at=licence.issued_at.isoformat(),
            valid_until=licence.valid_until.isoformat() if licence.valid_until else "", reason=reason,
            **about(licence.enterprise),
        ))
        record_event(actor=actor, action="licence.revoked", obj=licence, before={"status": "valid"},
                     after={"status": "revoked", "reason": reason})
    return licence
