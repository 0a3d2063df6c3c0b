"""Policies with immutable versions, fund pools, entitlements, the payout ledger and bank accounts."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Department, Enterprise, Role
from qinqing.accounts.scope import NOTHING, Owner, scope_of
from qinqing.core.i18n import localised
from qinqing.policies.workflow import EntitlementStatus, Mode, PayoutStatus, PolicyStatus
from qinqing.regions.models import Region

ZERO = Decimal("0.00")

ENTITLEMENT_OWNER = Owner(enterprise="enterprise_id", regional=True)
PAYOUT_OWNER = Owner(enterprise="entitlement__enterprise_id", regional=True)
ACCOUNT_OWNER = Owner(enterprise="enterprise_id")


def money_q(user: object, owner: Owner, department_path: str) -> Q:
    """Who reads entitlements, payouts and accounts: the ladder without the agent's rung, plus officers.

    An agent acts for an enterprise on applications; its authorisation never covers the enterprise's money.
    """
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    without_agent = dataclasses.replace(scope, agent_grants=())
    q = without_agent.q(owner)
    return q | officer_q(scope, department_path) if department_path else q


def officer_q(user: object, department_path: str) -> Q:
    """What a policy officer adds to the ladder: the rows of its own department's policies in its region's subtree.

    `department_path` leads from the row to the policy's department ("department_id",
    "policy__department_id"); the policy's region is found beside it. An officer without a region
    (a city-wide department) has its whole department's policies.
    """
    scope = scope_of(user)
    if scope.is_staff_member and Role.POLICY_OFFICER.value in scope.roles and scope.department_id is not None:
        q = Q(**{department_path: scope.department_id})
        region_path = _officer_region_path(scope.user_id)
        if region_path:
            prefix = department_path.removesuffix("department_id")
            q &= Q(**{f"{prefix}region__path__startswith": region_path})
        return q
    return NOTHING


def _officer_region_path(user_id: int | None) -> str:
    from qinqing.accounts.models import User

    if user_id is None:
        return ""
    return User.objects.filter(pk=user_id).values_list("region__path", flat=True).first() or ""


class PolicyQuerySet(models.QuerySet["Policy"]):
    def public(self) -> PolicyQuerySet:
        """Policies anyone may read: published, paused or closed (never a draft)."""
        return self.exclude(status=PolicyStatus.DRAFT)

    def managed_by(self, user: object) -> PolicyQuerySet:
        """Policies a user may author and run: its department's for an officer, all for a superuser."""
        scope = scope_of(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(officer_q(user, "department_id"))

    def visible_to(self, user: object) -> PolicyQuerySet:
        """Public policies, plus the drafts of the officer's department."""
        return self.filter(~Q(status=PolicyStatus.DRAFT) | Q(pk__in=self.managed_by(user).values("pk")))


class Policy(models.Model):
    """An enterprise-benefit policy (惠企政策): who issued it, where and when it applies, how it pays."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="policies",
                                   verbose_name=_("issuing department"))
    document_number = models.CharField(_("document number"), max_length=60)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    board = models.CharField(_("board"), max_length=40, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    summary_en = models.TextField(_("English summary"), blank=True)
    source_note = models.TextField(_("source"), blank=True)
    demo = models.BooleanField(_("demo amounts"), default=False)
    current_version = models.ForeignKey("PolicyVersion", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "code"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return localised(self.title, self.title_en)

    @property
    def display_summary(self) -> str:
        return localised(self.summary, self.summary_en)

    @property
    def is_claimable(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED and self.mode != Mode.AUTOMATIC


class PolicyVersion(models.Model):
    """One immutable set of eligibility conditions and amount rule; a change after publishing is a new one."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    eligibility = models.JSONField(_("eligibility conditions"))
    amount = models.JSONField(_("amount rule"))
    amount_text = models.CharField(_("amount rule in words"), max_length=300)
    amount_text_en = models.CharField(_("amount rule in English"), max_length=400, blank=True)
    clause = models.CharField(_("clause"), max_length=300, blank=True)
    period = models.CharField(_("period"), max_length=8, default="year")  # "year" or "once"
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["policy", "number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique")]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"

    @property
    def display_amount_text(self) -> str:
        return localised(self.amount_text, self.amount_text_en)


class FundPool(models.Model):
    """A policy's budget. committed + paid never exceeds total (a database constraint, conditional updates)."""

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="fund")
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    committed = models.DecimalField(_("committed"), default=ZERO, max_digits=16, decimal_places=2)
    paid = models.DecimalField(_("paid"), default=ZERO, max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(paid__gte=0)
                                   & Q(total__gte=F("committed") + F("paid")), name="fund_pool_never_negative"),
        ]
        verbose_name = _("fund pool")
        verbose_name_plural = _("fund pools")

    def __str__(self) -> str:
        return f"{self.policy.code}: {self.balance}"

    @property
    def balance(self) -> Decimal:
        return self.total - self.committed - self.paid


class EntitlementQuerySet(models.QuerySet["Entitlement"]):
    def visible_to(self, user: object) -> EntitlementQuerySet:
        """The enterprise's own; an officer's department's policies; street staff their region's."""
        return self.filter(money_q(user, ENTITLEMENT_OWNER, "policy__department_id"))


class Entitlement(models.Model):
    """What one enterprise is owed under one policy version for one period; one per policy, enterprise, period."""

    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="entitlements")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="entitlements")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="entitlements")
    period = models.CharField(_("period"), max_length=16)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=EntitlementStatus.choices)
    claimed = models.BooleanField(_("claimed"), default=False)
    reasons = models.JSONField(_("reasons"), default=list)  # the facts that made it qualify, with sources
    note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise", "period"],
                                               name="entitlement_once_per_period")]
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")

    def __str__(self) -> str:
        return self.key


class BankAccountQuerySet(models.QuerySet["BankAccount"]):
    def visible_to(self, user: object) -> BankAccountQuerySet:
        return self.filter(money_q(user, ACCOUNT_OWNER, ""))


class BankAccount(models.Model):
    """The account an enterprise receives payouts on; the number is shown masked except where it is typed."""

    enterprise = models.OneToOneField(Enterprise, on_delete=models.PROTECT, related_name="bank_account")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_name = models.CharField(_("account name"), max_length=200)
    number = models.CharField(_("account number"), max_length=30)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.bank_name} {self.masked}"

    @property
    def masked(self) -> str:
        return mask(self.number)


def mask(number: str) -> str:
    """Show the last four digits only: 6222 **** **** 1234 becomes ************1234."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


class PayoutQuerySet(models.QuerySet["Payout"]):
    def visible_to(self, user: object) -> PayoutQuerySet:
        return self.filter(money_q(user, PAYOUT_OWNER, "entitlement__policy__department_id"))


class Payout(models.Model):
    """One transfer of an entitlement's money through the bank gateway: pending → sent → paid | failed."""

    entitlement = models.OneToOneField(Entitlement, on_delete=models.PROTECT, related_name="payout")
    reference = models.CharField(_("reference"), max_length=40, unique=True)  # the gateway's idempotency key
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    bank_name = models.CharField(_("bank"), max_length=100)
    account_name = models.CharField(_("account name"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=30)
    status = models.CharField(_("status"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_account(self) -> str:
        return mask(self.account_number)

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "amount": str(self.amount), "status": self.status}


class LedgerEntry(models.Model):
    """An append-only movement of a fund pool: a commitment, a payment, a release or a reversal."""

    class Kind(models.TextChoices):
        COMMIT = "commit", _("Committed to a payout")
        PAY = "pay", _("Paid")
        RELEASE = "release", _("Released after a failure")
        REVERSAL = "reversal", _("Reversed")

    pool = models.ForeignKey(FundPool, on_delete=models.PROTECT, related_name="entries")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["payout", "kind"], name="ledger_one_entry_per_kind")]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class Push(models.Model):
    """An enterprise was told that it qualifies for a policy (精准推送): once per policy and enterprise."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="pushes")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="policy_pushes")
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="push_once_per_policy")]
        verbose_name = _("policy push")
        verbose_name_plural = _("policy pushes")

    def __str__(self) -> str:
        return f"{self.policy.code} → {self.enterprise.uscc}"


class FactSnapshotState(models.Model):
    """The kept fact snapshot (`policies.facttable`): which fact columns its table has, when it was built.

    One row (key "facts") once the table exists; the table itself is plain SQL (its columns are the
    facts the datahub declares, which are data, not code).
    """

    key = models.CharField(max_length=20, unique=True, default="facts")
    columns = models.JSONField(default=list)  # [[fact, "num" | "int" | "str"], …]
    rows = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(auto_now=True)
    txid = models.BigIntegerField(default=0)  # the outbox head when it was built
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("fact snapshot")
        verbose_name_plural = _("fact snapshots")

    def __str__(self) -> str:
        return f"{self.key}: {self.rows} rows"
