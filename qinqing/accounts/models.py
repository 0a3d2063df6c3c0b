"""Users, the enterprises and departments they belong to, and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.core.i18n import localised
from qinqing.core.text import VisibleTextValidator
from qinqing.regions.models import Region


class Department(models.Model):
    """A government department that owns matters and employs reviewers."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100, validators=[VisibleTextValidator()])
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The department's name in the current language."""
        return localised(self.name, self.name_en)


class Enterprise(models.Model):
    """An enterprise, identified by its 统一社会信用代码."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[VisibleTextValidator()])
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A generated enterprise of the synthetic city (`gencity`), never a real or demo one.
    synthetic = models.BooleanField(_("synthetic"), default=False, db_index=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class Role(models.TextChoices):
    REVIEWER = "reviewer", _("Reviewer")
    DATA_IMPORTER = "data_importer", _("Data importer")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    STREET_STAFF = "street_staff", _("Street staff")
    DISTRICT_STAFF = "district_staff", _("District staff")
    POLICY_OFFICER = "policy_officer", _("Policy officer")
    GRID_STAFF = "grid_staff", _("Grid staff")


class User(AbstractUser):
    """One login: an enterprise's (username = USCC) or a staff member's."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        STAFF = "staff", _("Government staff")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STAFF)
    display_name = models.CharField(_("display name"), max_length=100, blank=True, validators=[VisibleTextValidator()])
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField(_("roles"), default=list, blank=True)

    objects: UserManager[User] = UserManager()  # type: ignore[assignment,misc]

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_enterprise(self) -> bool:
        return self.kind == self.Kind.ENTERPRISE and self.enterprise_id is not None

    def has_role(self, role: str) -> bool:
        return self.kind == self.Kind.STAFF and role in (self.roles or [])

    @property
    def is_reviewer(self) -> bool:
        return self.has_role(Role.REVIEWER) and self.department_id is not None

    @property
    def is_agent(self) -> bool:
        return self.has_role(Role.AGENT)

    @property
    def is_policy_officer(self) -> bool:
        return self.has_role(Role.POLICY_OFFICER) and self.department_id is not None

    @property
    def is_regional_staff(self) -> bool:
        """Street, grid or district staff: read-only over the enterprises registered in their region."""
        return self.region_id is not None and any(
            self.has_role(role) for role in (Role.STREET_STAFF, Role.GRID_STAFF, Role.DISTRICT_STAFF))

    def label(self) -> str:
        """Say who this is in an audit trail or timeline."""
        if self.is_enterprise and self.enterprise is not None:
            return self.enterprise.name
        if self.department is not None:
            name = self.display_name or self.username
            return name if name.startswith(self.department.name) else f"{self.department.name} · {name}"
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored. Revoked on logout, password change and deactivation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The owner's session hash (an HMAC of the password hash) at issue: any password change, however
    # made (page, SMS reset, admin, command), ends every token issued before it.
    password_stamp = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"



class AuthorisationQuerySet(models.QuerySet["Authorisation"]):
    def active(self) -> AuthorisationQuerySet:
        """Granted, not revoked, not expired."""
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class Authorisation(models.Model):
    """An enterprise's authorisation for a government agent (代办员) to act on its behalf (政府替办)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="authorisations")
    agent = models.ForeignKey(User, on_delete=models.PROTECT, related_name="authorisations_held")
    scope = models.CharField(_("scope"), max_length=200, blank=True,
                             help_text=_("Bundle codes separated by commas; empty means every bundle."))
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = AuthorisationQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("agent authorisation")
        verbose_name_plural = _("agent authorisations")

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.agent}"

    @property
    def scope_codes(self) -> list[str]:
        """The bundle codes covered; empty means every bundle."""
        return [c.strip() for c in self.scope.split(",") if c.strip()]

    def covers(self, bundle_code: str) -> bool:
        """Tell whether this authorisation covers a bundle."""
        codes = self.scope_codes
        return not codes or bundle_code in codes

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()


class SmsCode(models.Model):
    """A one-time code sent by SMS (password reset, sign-up); only its keyed hash is stored.

    One row per request, also for a login that has no account or no mobile (no SMS is sent then):
    throttling counts requests per login and per address alike, so the answer never tells whether
    an account exists.
    """

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset", _("Password reset")
        SIGNUP = "signup", _("Sign-up")
        LOGIN = "login", _("Login second factor")

    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    login = models.CharField(_("login"), max_length=64, help_text=_("The USCC or username the code was asked for."))
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["purpose", "login", "created_at"], name="smscode_purpose_login")]
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")

    def __str__(self) -> str:
        return f"{self.purpose} {self.login} {self.created_at:%Y-%m-%d %H:%M}"


class LoginAttempt(models.Model):
    """One login attempt (page or API), kept for the throttle's window; old rows are pruned.

    `username` is what was tried, normalised, whether or not such an account exists.
    """

    username = models.CharField(_("username"), max_length=150)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    second_factor = models.BooleanField(_("with an SMS code"), default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"], name="loginattempt_username_at"),
            models.Index(fields=["ip", "at"], name="loginattempt_ip_at"),
        ]
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.at:%Y-%m-%d %H:%M:%S}"
