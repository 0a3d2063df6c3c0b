"""The working-day calendar: public holidays and make-up workdays (调休) as editable data."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """One date whose working status differs from the plain weekday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up workday")
        verbose_name_plural = _("holidays and make-up workdays")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class AppendOnlyQuerySet(models.QuerySet["OutboxEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("the outbox is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the outbox is append-only")


class OutboxEvent(models.Model):
    """One domain event, written in the transaction that caused it (see `core.events`)."""

    seq = models.BigAutoField(primary_key=True)
    # The writing transaction's id on PostgreSQL (0 on SQLite): consumers read in (txid, seq) order
    # and only below the oldest running transaction, so no late commit is ever skipped.
    txid = models.BigIntegerField(default=0)
    name = models.CharField(_("event"), max_length=64)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    payload = models.JSONField(_("payload"), default=dict)
    # Not indexed: consumers read by position; per-enterprise views are their own read models.
    enterprise = models.CharField(_("enterprise (USCC)"), max_length=18, blank=True)
    region = models.CharField(_("region code"), max_length=32, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["txid", "seq"]
        indexes = [models.Index(fields=["txid", "seq"], name="outbox_position")]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("the outbox is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the outbox is append-only")


class OutboxCursor(models.Model):
    """How far one asynchronous consumer has read the outbox."""

    consumer = models.CharField(_("consumer"), max_length=64, primary_key=True)
    txid = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    applied = models.BigIntegerField(_("events applied"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("outbox cursor")
        verbose_name_plural = _("outbox cursors")

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.txid}/{self.seq}"


class CalendarYear(models.Model):
    """A year whose holidays and make-up workdays are loaded from the State Council's notice."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    notice = models.CharField(_("notice"), max_length=64, blank=True,
                              help_text=_("The notice's number, e.g. 国办发明电〔2024〕12号."))
    published = models.DateField(_("published"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("covered year")
        verbose_name_plural = _("covered years")

    def __str__(self) -> str:
        return f"{self.year} {self.notice}".strip()


class KeptVersion(models.Model):
    """One row per copy processes keep in memory (the catalog, the data sources): bumped by every change to it.

    `number` counts the changes; `stamp` is drawn at random on each bump, so a bump that was rolled back
    and a later one that reached the same number are never taken for the same contents (`core.kept`).
    """

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    number = models.PositiveBigIntegerField(default=0)
    stamp = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("kept copy version")

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"
