"""What a government agent (or the enterprise itself) does to a step prepared for it (政府替办)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from qinqing.accounts.models import Authorisation, User
from qinqing.accounts.services import active_authorisation
from qinqing.bundles.errors import AgentNotAuthorised, BundleInvalid, StepRefused
from qinqing.bundles.services.submit import enterprise_label
from qinqing.cases.formdata import clean_form_data
from qinqing.cases.models import Case
from qinqing.cases.services import Upload, attach_upload, start_case
from qinqing.cases.workflow import Status
from qinqing.catalog.models import FormField
from qinqing.core import events
from qinqing.datahub.queries import facts_for


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
    with events.atomic():
        Case.objects.select_for_update().only("pk").get(pk=case.parent_id)  # parent first, as advance() locks
        case = (Case.objects.select_for_update(of=("self",)).select_related("matter", "enterprise", "parent")
                .get(pk=case.pk))
        if case.status != Status.PREPARING:
            raise StepRefused(_("This step is not waiting to be prepared."))
        assert case.matter is not None
        fields = list(case.matter.fields.all())
        # A commitment (a required yes/no) is the submitter's own: never carried over from the merged form.
        commitments = {f.key for f in fields if f.type == FormField.Type.BOOLEAN and f.required}
        merged = {**{k: v for k, v in case.data.items() if k not in commitments}, **data}
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
