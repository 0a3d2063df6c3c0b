"""Helpers shared by the service/API tests: pick matters from the loaded catalog, fill forms, submit.

Matters are chosen by querying the database, never by hard-coded codes, so the tests survive edits
of the catalog data.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef
from django.test import Client
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.services import issue_token
from qinqing.audit.models import AuditRecord
from qinqing.cases import services
from qinqing.cases.formdata import clean_form_data, prefill_value, rule_facts
from qinqing.cases.models import Case, CaseEvent, Material
from qinqing.catalog.models import FormField, MaterialRequirement, Matter
from qinqing.datahub.queries import fact_values, facts_for
from qinqing.rules.engine import APPROVE, evaluate
from qinqing.rules.services import parsed_version
from qinqing.web.demo import demo_uscc

PASSWORD = "Qinqing@2026"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def enterprise(index: int) -> User:
    """The login of the index-th demo enterprise."""
    return User.objects.select_related("enterprise").get(username=demo_uscc(index))


def reviewer_of(matter: Matter) -> User:
    """The demo reviewer of the matter's department."""
    return User.objects.get(username=f"{matter.department.code.lower()}_reviewer")


def reviewer_elsewhere(*matters: Matter) -> User:
    """A demo reviewer of a department that owns none of the matters."""
    reviewer = (
        User.objects.filter(username__endswith="_reviewer", department__isnull=False)
        .exclude(department_id__in=[m.department_id for m in matters])
        .order_by("username")
        .first()
    )
    assert reviewer is not None, "every department owns one of these matters"
    return reviewer


def client_for(user: User, **headers: str) -> Client:
    """A test client sending a bearer token of `user` (and any extra headers)."""
    key, _ = issue_token(user=user)
    return Client(headers={"Authorization": f"Bearer {key}", **headers})


def session_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def new_key() -> str:
    return secrets.token_urlsafe(12)


# ----------------------------------------------------------------------------- form data


def _number_in_range(field: FormField) -> Decimal:
    low, high = field.min_value, field.max_value
    if low is not None and high is not None:
        return (low + high) / 2
    if low is not None:
        return max(low, Decimal(1)) if low <= 1 else low
    if high is not None:
        return min(high, Decimal(1))
    return Decimal(1)


KIND_SAMPLES: dict[str, str] = {
    FormField.Kind.USCC: "91110000802100433B",
    FormField.Kind.RESIDENT_ID: "11010519491231002X",
    FormField.Kind.ID_OR_USCC: "11010519491231002X",
    FormField.Kind.MOBILE: "13857100001",
    FormField.Kind.LANDLINE: "0571-87654321",
    FormField.Kind.PHONE: "0571-87654321",
    FormField.Kind.BANK_ACCOUNT: "1202021409900012345",
    FormField.Kind.POSTCODE: "310051",
    FormField.Kind.EMAIL: "finance@example.com",
}


def field_value(field: FormField) -> Any:
    """A plausible value for a field the applicant types in (a valid one of its kind)."""
    kind = field.type
    if field.kind in KIND_SAMPLES:
        return KIND_SAMPLES[field.kind]
    if kind == FormField.Type.TEXT:
        return "测试内容"[: field.max_length or 200]
    if kind == FormField.Type.TEXTAREA:
        return "用于测试的说明文字"[: field.max_length or 2000]
    if kind == FormField.Type.INTEGER:
        return int(_number_in_range(field))
    if kind == FormField.Type.DECIMAL:
        return str(_number_in_range(field).quantize(Decimal("0.01")))
    if kind == FormField.Type.DATE:
        return timezone.localdate().isoformat()
    if kind == FormField.Type.CHOICE:
        return str((field.choices or [{}])[0].get("value"))
    if kind == FormField.Type.BOOLEAN:
        return True
    raise AssertionError(f"unknown field type {kind}")


def form_data(matter: Matter, **overrides: Any) -> dict[str, Any]:
    """Values for every field that is not filled from government data; prefilled ones are left out."""
    data = {f.key: field_value(f) for f in matter.fields.all() if not f.prefill}
    data.update(overrides)
    return data


def data_for(matter: Matter, user: User) -> dict[str, Any]:
    """Values for every field the user's government data does not fill (prefilled ones it holds are left out)."""
    if user.enterprise is None:
        return form_data(matter)
    facts = facts_for(user.enterprise.uscc)
    return {f.key: field_value(f) for f in matter.fields.all() if prefill_value(f, facts) is None}


def automatic_outcome(matter: Matter, user: User, data: dict[str, Any] | None = None) -> str | None:
    """What the matter's current rules decide for this applicant (pure, writes nothing); None if invalid."""
    data = form_data(matter) if data is None else data
    facts = facts_for(user.enterprise.uscc)  # type: ignore[union-attr]
    fields = list(matter.fields.all())
    cleaned, _sources, errors = clean_form_data(fields, data, facts)
    if errors:
        return None
    version = matter.rule_set.current_version()  # type: ignore[union-attr]
    verdict = evaluate(parsed_version(version), {**fact_values(facts), "form": rule_facts(fields, cleaned)})  # type: ignore[arg-type]
    return verdict.outcome


# ----------------------------------------------------------------------------- matters


def _required_materials() -> Exists:
    return Exists(MaterialRequirement.objects.filter(matter=OuterRef("pk"), required=True))


def automatic_matters_without_required_materials() -> list[Matter]:
    return list(
        Matter.objects.online()
        .filter(automatic=True, rule_set__isnull=False)
        .annotate(needs=_required_materials())
        .filter(needs=False)
        .select_related("department", "rule_set", "board")
        .order_by("code")
    )


def matter_approved_for(index: int = 0) -> Matter:
    """An automatic matter without required materials whose rules pass for the index-th demo enterprise."""
    user = enterprise(index)
    for matter in automatic_matters_without_required_materials():
        if automatic_outcome(matter, user) == APPROVE:
            return matter
    raise AssertionError(f"no automatic matter passes for demo enterprise {index}")


def matter_approved_for_0_referred_for(index: int) -> Matter:
    """An automatic matter that enterprise 0 passes and the index-th demo enterprise fails on registry facts.

    Demo enterprise 6 has its business licence revoked (吊销); enterprise 5 is new with a small capital.
    """
    passing, failing = enterprise(0), enterprise(index)
    for matter in automatic_matters_without_required_materials():
        if automatic_outcome(matter, passing, data_for(matter, passing)) == APPROVE and automatic_outcome(
            matter, failing, data_for(matter, failing),
        ) not in (APPROVE, None):
            return matter
    raise AssertionError(f"no automatic matter separates demo enterprises 0 and {index}")


def referred_matter() -> Matter:
    """An automatic matter that refers demo enterprise 6 (licence revoked) and approves enterprise 0."""
    return matter_approved_for_0_referred_for(REVOKED_ENTERPRISE)


REVOKED_ENTERPRISE = 6
NEW_SMALL_ENTERPRISE = 5


def reviewed_matter_with_required_materials(*, exclude_department: int | None = None) -> Matter:
    """A matter decided by a reviewer (not automatic) that asks for at least one required material."""
    matters = (
        Matter.objects.online()
        .filter(automatic=False)
        .annotate(needs=_required_materials())
        .filter(needs=True)
        .select_related("department", "board")
        .order_by("code")
    )
    if exclude_department is not None:
        matters = matters.exclude(department_id=exclude_department)
    matter = matters.first()
    assert matter is not None, "the catalog has no reviewed matter with required materials"
    return matter


def required_material(matter: Matter) -> MaterialRequirement:
    return matter.materials.filter(required=True).order_by("order", "id").first()  # type: ignore[return-value]


def field_of_type(kind: str, *, prefilled: bool = False) -> tuple[Matter, FormField]:
    """An online matter with a required field of this type (typed by the applicant unless `prefilled`)."""
    fields = FormField.objects.filter(type=kind, matter__active=True).select_related("matter")
    fields = fields.exclude(prefill="") if prefilled else fields.filter(prefill="")
    field = fields.order_by("matter__code", "order").first()
    assert field is not None, f"the catalog has no {kind} field"
    return field.matter, field


def non_editable_name_field() -> tuple[Matter, FormField]:
    """An online matter whose company-name field is prefilled from the registry and locked."""
    field = (
        FormField.objects.filter(prefill="registry.name", editable=False, matter__active=True)
        .select_related("matter")
        .order_by("matter__code")
        .first()
    )
    assert field is not None, "the catalog has no locked company-name field"
    return field.matter, field


# ----------------------------------------------------------------------------- cases


def submit(user: User, matter: Matter, data: dict[str, Any] | None = None, **kwargs: Any) -> Case:
    """Submit through the service, as the API does."""
    case, _created = services.submit_case(
        applicant=user, matter=matter, data=data_for(matter, user) if data is None else data,
        idempotency_key=kwargs.pop("idempotency_key", new_key()), **kwargs,
    )
    return case


def open_case(index: int = 0, *, matter: Matter | None = None) -> Case:
    """A case waiting for a reviewer (a reviewed matter with required materials, none uploaded)."""
    matter = matter or reviewed_matter_with_required_materials()
    case = submit(enterprise(index), matter)
    assert case.is_open, case.status
    return case


def approved_case(index: int = 0) -> Case:
    """A case decided automatically, with its licence."""
    case = submit(enterprise(index), matter_approved_for(index))
    assert case.status == "approved", case.verdict
    return case


def counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(), "events": CaseEvent.objects.count(),
        "materials": Material.objects.count(), "audit": AuditRecord.objects.count(),
    }


@contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that the block leaves cases, events, materials and the audit trail unchanged."""
    before = counts()
    yield
    assert counts() == before


def new_audit_records(since: int) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(pk__gt=since).order_by("pk"))


def audit_head() -> int:
    return AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
