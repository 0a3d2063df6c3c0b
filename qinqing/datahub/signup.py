"""Sign-up of an enterprise by its legal representative, checked against the market registry.

Step 1 (`start_signup`): the code, the enterprise's name and the legal representative's name must
match the registry's latest record, whose status must be 存续 or 在业; a code is texted to the
mobile number given. Step 2 (`complete_signup`): the code and a password create the enterprise
and its login through `accounts.services.create_enterprise` (which emits EnterpriseRegistered).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from qinqing.accounts.errors import AccountInvalid
from qinqing.accounts.models import Enterprise, SmsCode, User
from qinqing.accounts.recovery import (
    CodeInvalid,
    check_code,
    check_password_strength,
    clean_mobile,
    send_code,
    use_code,
)
from qinqing.accounts.services import clean_uscc, create_enterprise
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.datahub.adapters import Record
from qinqing.datahub.queries import REGISTRY, records_for
from qinqing.regions.models import Region

ACTIVE_STATUSES = ("存续", "在业")


@dataclass(frozen=True)
class PendingSignup:
    """What step 1 checked, kept (in the session) until the code comes back."""

    uscc: str
    name: str
    legal_representative: str
    phone: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PendingSignup | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: str(data[k]) for k in ("uscc", "name", "legal_representative", "phone")})
        except KeyError:
            return None


def _same(a: str, b: str) -> bool:
    """Names compare after NFKC (full-width brackets, spaces) and without any whitespace."""
    def norm(text: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    return bool(norm(a)) and norm(a) == norm(b)


def registry_record(*, uscc: str, name: str, legal_representative: str) -> tuple[str, Record]:
    """The canonical code and the registry's record, or AccountInvalid naming every field that fails."""
    code = clean_uscc(uscc)
    if Enterprise.objects.filter(uscc=code).exists():
        raise AccountInvalid(_("This enterprise already has an account."),
                             errors={"uscc": [_("Already registered: log in, or reset the password by SMS.")]})
    found = records_for(code, REGISTRY)
    if not found:
        raise AccountInvalid(_("The market registry holds no enterprise with this code."),
                             errors={"uscc": [_("Not found in the market registry: check the code.")]})
    record = found[0]
    errors: dict[str, list[str]] = {}
    if not _same(name, str(record.data.get("name", ""))):
        errors["name"] = [_("Does not match the name in the market registry.")]
    if not _same(legal_representative, str(record.data.get("legal_representative", ""))):
        errors["legal_representative"] = [_("Does not match the legal representative in the market registry.")]
    status = str(record.data.get("status", ""))
    if status not in ACTIVE_STATUSES:
        errors["uscc"] = [_("The registry shows this enterprise as %(status)s: only an enterprise in business "
                            "(存续 or 在业) can register.") % {"status": status or "—"}]
    if errors:
        raise AccountInvalid(_("The details do not match the market registry."), errors=errors)
    return code, record


def start_signup(*, uscc: str, name: str, legal_representative: str, phone: str,
                 ip: str | None = None) -> PendingSignup:
    """Check the applicant against the registry and text a code to the mobile number given."""
    errors: dict[str, list[str]] = {}
    mobile = ""
    try:
        mobile = clean_mobile(phone)
    except AccountInvalid as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.errors.items()})
    try:
        code, record = registry_record(uscc=uscc, name=name, legal_representative=legal_representative)
    except AccountInvalid as exc:
        errors = {**{k: [str(m) for m in v] for k, v in exc.errors.items()}, **errors}
        raise AccountInvalid(exc.message, errors=errors) from exc
    if errors:
        raise AccountInvalid(_("Please correct the marked fields."), errors=errors)
    send_code(purpose=SmsCode.Purpose.SIGNUP, login=code, phone=mobile, ip=ip)
    return PendingSignup(uscc=code, name=str(record.data.get("name", name)),
                         legal_representative=str(record.data.get("legal_representative", legal_representative)),
                         phone=mobile)


def complete_signup(*, pending: PendingSignup, code: str, password: str) -> User:
    """Create the enterprise's account once the SMS code is right (the registry is checked again)."""
    uscc, record = registry_record(uscc=pending.uscc, name=pending.name,
                                   legal_representative=pending.legal_representative)
    check_password_strength(password)  # before the code is tried: a weak password costs no attempt
    row = check_code(purpose=SmsCode.Purpose.SIGNUP, login=uscc, code=code)
    if row.phone != pending.phone:
        raise CodeInvalid(_("The code is wrong or has expired."),
                          errors={"code": [_("The code is wrong or has expired.")]})
    region_code = str(record.data.get("region_code", "") or "")
    region = region_code if region_code and Region.objects.filter(code=region_code).exists() else None
    with events.atomic():
        use_code(row)
        user = create_enterprise(uscc=uscc, name=str(record.data.get("name", pending.name)), password=password,
                                 region=region, phone=pending.phone)
        record_event(actor=user, action="enterprise.signed_up", obj=user.enterprise,
                     after={"uscc": uscc, "legal_representative": pending.legal_representative,
                            "phone_verified": True, "registry_as_of": record.as_of.isoformat()})
    return user
