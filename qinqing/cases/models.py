"""Cases (办件), their timeline, materials and the licences they produce."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Enterprise
from qinqing.accounts.scope import Owner, scope_of
from qinqing.cases.workflow import CLOCK_STATUSES, OPEN_STATUSES, QUEUE_STATUSES, Status
from qinqing.catalog.models import MaterialRequirement, Matter
from qinqing.core import clock
from qinqing.rules.models import RuleSetVersion

# How cases and licences lead to what the scope ladder (qinqing.accounts.scope) reads.
CASE_OWNER = Owner(enterprise="enterprise_id", department="matter__department_id", bundle="bundle_code",
                   regional=True)
LICENCE_OWNER = Owner(enterprise="enterprise_id", department="matter__department_id", bundle="case__bundle_code",
                      regional=True)


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: object) -> CaseQuerySet:
        """Scope to what a user (or its `Scope`) may read, by the one ladder in `qinqing.accounts.scope`."""
        return self.filter(scope_of(user).q(CASE_OWNER))

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Case(models.Model):
    # Unique by the constraint `case_number_unique` (one index; `unique=True` would add a second, pattern-ops
    # index that `case_number_prefix` already is).
    number = models.CharField(_("case number"), max_length=32)
    # A bundle's parent case has no matter of its own: it carries the bundle's code and title.
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    # Indexed only where set (`case_children`): most cases have no parent, and every decision writes a case.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               db_index=False)
    step_key = models.CharField(_("bundle step"), max_length=32, blank=True)
    bundle_code = models.CharField(_("bundle"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # Indexed by `case_enterprise_newest`, whose first column it is.
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="cases", db_index=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.CharField(_("acting for"), max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED)
    data = models.JSONField(_("form data"), default=dict)
    prefill_sources = models.JSONField(_("prefill sources"), default=dict, blank=True)
    verdict = models.JSONField(_("automatic verdict"), null=True, blank=True)
    rule_set_version = models.ForeignKey(RuleSetVersion, null=True, blank=True, on_delete=models.PROTECT)
    decided_automatically = models.BooleanField(_("decided automatically"), default=False)
    decision_note = models.TextField(_("decision note"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    due_at = models.DateTimeField(_("promised deadline"))
    statutory_due_at = models.DateTimeField(_("statutory deadline"))
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    # A case of the synthetic history (`genhistory`), never a real or demo one; `genhistory --clear` deletes them.
    synthetic = models.BooleanField(_("synthetic"), default=False, db_default=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"], name="unique_idempotency_key_per_applicant",
                condition=~models.Q(idempotency_key=""),
            ),
        ]
        indexes = [
            # Keyset pages (qinqing.cases.search): newest first per enterprise and overall, queue by deadline.
            models.Index(fields=["enterprise", "-submitted_at", "-id"], name="case_enterprise_newest"),
            models.Index(fields=["-submitted_at", "-id"], name="case_newest"),
            models.Index(fields=["status", "due_at", "id"], name="case_status_deadline"),
            # Search at a million cases (qinqing.cases.search): a status over a date range, newest first; a
            # bundle's own title (few cases have one, so the partial index stays small).
            models.Index(fields=["status", "-submitted_at", "-id"], name="case_status_newest"),
            models.Index(fields=["title"], name="case_titled", condition=~models.Q(title="")),
            # The reviewer queue (open cases by deadline): a few thousand of a million, walked in deadline order.
            models.Index(fields=["due_at", "id"], name="case_queue_deadline",
                         condition=models.Q(status__in=QUEUE_STATUSES)),
            models.Index(fields=["parent"], name="case_children", condition=models.Q(parent__isnull=False)),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_bundle(self) -> bool:
        """A bundle's parent case (一件事)."""
        return self.matter_id is None

    @property
    def display_title(self) -> str:
        return self.matter.display_name if self.matter is not None else self.title

    @property
    def is_overdue(self) -> bool:
        return self._clock_runs and timezone.now() > self.due_at

    def is_near_due(self, *, hours: int = 48) -> bool:
        remaining = (self.due_at - timezone.now()).total_seconds()
        return self._clock_runs and 0 <= remaining <= hours * 3600

    @property
    def deadline_provisional(self) -> bool:
        """The deadline counts working days of a year whose holiday notice is not loaded yet (暂定)."""
        if not self.is_open:
            return False
        if self.matter is not None and clock.Unit.WORKING_DAYS not in (self.matter.promised_unit,
                                                                      self.matter.statutory_unit):
            return False
        return clock.provisional_between(self.submitted_at, max(self.due_at, self.statutory_due_at))

    @property
    def _clock_runs(self) -> bool:
        # A waiting or preparing child has no running clock; a parent's runs while any child's does.
        return self.status in (*CLOCK_STATUSES, Status.IN_PROGRESS) and self.paused_at is None


class CaseEvent(models.Model):
    """One step of a case's timeline: who acted, when, for whom, and what changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=200)
    acting_for = models.CharField(_("acting for"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def _material_path(instance: Material, filename: str) -> str:
    # Stored names never come from the user: no traversal, no collisions.
    return f"materials/{timezone.now():%Y/%m}/{instance.stored_name}"


class Material(models.Model):
    """An uploaded document, or a record held in shared data that stands in for one (材料免提交)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey(MaterialRequirement, null=True, blank=True, on_delete=models.PROTECT)
    file = models.FileField(upload_to=_material_path, max_length=200, blank=True)
    data_source = models.CharField(_("data source"), max_length=32, blank=True)
    data_source_name = models.CharField(_("data source name"), max_length=100, blank=True)
    data_reference = models.CharField(_("record"), max_length=64, blank=True)
    data_as_of = models.DateTimeField(_("record as of"), null=True, blank=True)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    for_supplement = models.BooleanField(default=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.original_name

    @property
    def from_data(self) -> bool:
        return bool(self.data_source)


class LicenceQuerySet(models.QuerySet["Licence"]):
    def visible_to(self, user: object) -> LicenceQuerySet:
        """Scope to what a user (or its `Scope`) may read, by the one ladder in `qinqing.accounts.scope`."""
        return self.filter(scope_of(user).q(LICENCE_OWNER))

    def in_force(self) -> LicenceQuerySet:
        """Not revoked and not past its validity: what verification calls "valid"."""
        return self.filter(status=Licence.Status.VALID).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=timezone.localdate()))


class Licence(models.Model):
    """An electronic licence, signed with Ed25519 so that it verifies offline."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")

    # Unique by the constraint `licence_number_unique`: looked up whole, never by prefix (no pattern-ops index).
    number = models.CharField(_("licence number"), max_length=40)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="licence")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="licences")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="licences")
    title = models.CharField(_("title"), max_length=100)
    holder_name = models.CharField(_("holder"), max_length=200)
    issued_at = models.DateTimeField(_("issued at"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("revocation reason"), max_length=300, blank=True)
    payload = models.JSONField()
    signature = models.CharField(max_length=128)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["number"], name="licence_number_unique")]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")

    def __str__(self) -> str:
        return self.number

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and timezone.localdate() > self.valid_until


class Tally(models.Model):
    """A headline counter, kept up to date from the outbox by the consumer `cases.tallies`."""

    name = models.CharField(_("counter"), max_length=32, primary_key=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("headline counter")
        verbose_name_plural = _("headline counters")

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class ServedEnterprise(models.Model):
    """An enterprise that has had at least one case handled (for the “enterprises served” counter)."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    first_served_at = models.DateTimeField(_("first served at"))

    class Meta:
        verbose_name = _("enterprise served")
        verbose_name_plural = _("enterprises served")

    def __str__(self) -> str:
        return self.uscc


class Roster(models.Model):
    """An uploaded employee roster (职工花名册) for one enrolment case, and its progress.

    The file is kept on the row until the roster is done; `percent` and `rows_done` are what the
    waiting page and the API poll. A roster is enrolled whole or not at all.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        READING = "reading", _("Reading the file")
        VALIDATING = "validating", _("Checking every row")
        ENROLLING = "enrolling", _("Enrolling the employees")
        COMPLETED = "completed", _("Enrolled")
        REJECTED = "rejected", _("Not enrolled: corrections needed")
        FAILED = "failed", _("Not enrolled: please upload again")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rosters")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="rosters")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.CharField(_("acting for"), max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file_kind = models.CharField(max_length=8)  # "xlsx" or "csv", sniffed from the content
    content = models.BinaryField(editable=False)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    enrolled = models.PositiveIntegerField(_("employees enrolled"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same file uploaded again for the same case is the same roster: never enrolled twice.
            models.UniqueConstraint(fields=["case", "sha256"], name="unique_roster_file_per_case"),
        ]
        verbose_name = _("employee roster")
        verbose_name_plural = _("employee rosters")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.REJECTED, self.Status.FAILED)


class EmployeeEnrolment(models.Model):
    """One employee enrolled in social insurance (职工参保登记/增员) through a roster."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")

    class Hukou(models.TextChoices):
        LOCAL_URBAN = "local_urban", _("Local, urban")
        LOCAL_RURAL = "local_rural", _("Local, rural")
        NONLOCAL_URBAN = "nonlocal_urban", _("Non-local, urban")
        NONLOCAL_RURAL = "nonlocal_rural", _("Non-local, rural")

    number = models.CharField(_("enrolment number"), max_length=32, unique=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="enrolments")
    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="enrolments")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField(_("line"))
    name = models.CharField(_("name"), max_length=30)
    id_number = models.CharField(_("resident ID number"), max_length=18)
    hukou_type = models.CharField(_("household registration"), max_length=16, choices=Hukou.choices)
    contribution_base = models.DecimalField(_("monthly contribution base (yuan)"), max_digits=10, decimal_places=2)
    start_month = models.DateField(_("first month"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ENROLLED)
    enrolled_at = models.DateTimeField(_("enrolled at"))

    class Meta:
        ordering = ["roster_id", "line"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "id_number"], name="unique_enrolment_per_enterprise"),
        ]
        verbose_name = _("employee enrolment")
        verbose_name_plural = _("employee enrolments")

    def __str__(self) -> str:
        return self.number


def _pending_path(instance: PendingUpload, filename: str) -> str:
    return f"pending/{timezone.now():%Y/%m}/{instance.stored_name}"


class PendingUploadQuerySet(models.QuerySet["PendingUpload"]):
    def for_form(self, user: Any, form_key: str) -> PendingUploadQuerySet:
        """The files one person's form rendering has accepted so far, not yet expired."""
        return self.filter(user=user, form_key=form_key, expires_at__gt=timezone.now())


class PendingUpload(models.Model):
    """A file a form accepted while other fields still needed correcting, kept for its next submission.

    Scoped to the person and to the form's idempotency key; removed when the form is submitted or
    when it expires.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form_key = models.CharField(max_length=128)
    requirement_code = models.CharField(_("material"), max_length=64)
    file = models.FileField(upload_to=_pending_path, max_length=200)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = PendingUploadQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "form_key"], name="pending_upload_form")]
        verbose_name = _("file kept for a form")
        verbose_name_plural = _("files kept for forms")

    def __str__(self) -> str:
        return self.original_name
