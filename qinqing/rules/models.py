"""Versioned rule sets: a decided case records the version that decided it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSet(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def current_version(self) -> RuleSetVersion | None:
        """The newest version; the one kept by `keep_current_version` on a cached copy of the catalog."""
        if "_kept_current_version" in self.__dict__:
            kept: RuleSetVersion | None = self.__dict__["_kept_current_version"]
            return kept
        return self.versions.order_by("-number").first()

    def keep_current_version(self, version: RuleSetVersion | None) -> None:
        """Remember the current version on this instance (the catalog cache's copy, reloaded on every change)."""
        self.__dict__["_kept_current_version"] = version


class RuleSetVersion(models.Model):
    """One immutable version of a rule set's conditions (JSONLogic, whitelisted operators)."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    conditions = models.JSONField(_("conditions"))
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["rule_set", "-number"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "number"], name="unique_rule_set_version")]
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("a rule set version is immutable; publish a new version instead")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.rule_set.code}@v{self.number}"
