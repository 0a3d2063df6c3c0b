"""Audit actions in words, for the people reading the trail."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "authorisation.granted": _("Authorisation granted"),
    "authorisation.revoked": _("Authorisation revoked"),
    "bundle.submitted": _("一件事 submitted"),
    "calendar.year_imported": _("Holiday calendar year imported"),
    "case.approved": _("Case approved"),
    "case.deadline_recomputed": _("Case deadline recomputed"),
    "case.materials_added": _("Materials added to a case"),
    "case.rejected": _("Case rejected"),
    "case.started": _("Case started"),
    "case.submitted": _("Case submitted"),
    "case.supplement_requested": _("Supplement requested"),
    "case.withdrawn": _("Case withdrawn"),
    "datahub.records_imported": _("Shared data imported"),
    "enterprise.created": _("Enterprise account created"),
    "licence.revoked": _("Licence revoked"),
    "rule_set.published": _("Rule set published"),
    "staff.created": _("Staff account created"),
    "upload.kept": _("Files kept for a form"),
    "upload.released": _("Kept files used by a submission"),
    "login.spray_detected": _("Password spray detected"),
    "account.login_with_sms_code": _("Logged in with an SMS code"),
    "account.deactivated": _("Account deactivated"),
    "token.revoked": _("API token revoked (logout)"),
    "token.revoked_all": _("All API tokens revoked"),
    "cockpit.alert_acknowledged": _("Cockpit alert acknowledged"),
    "cockpit.alert_rule_saved": _("Cockpit alert rule saved"),
    "cockpit.rebuilt": _("Cockpit figures rebuilt"),
    "cockpit.visit_raised": _("Visit task raised"),
    "cockpit.visit_recorded": _("Visit recorded"),
    "cockpit.visit_closed": _("Visit task closed"),
    "cockpit.visit_overdue": _("Visit task overdue"),
    "regions.buildings_imported": _("Building register imported"),
}


def action_label(action: str) -> str:
    """The action in words; an action without a name shows its code."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action
