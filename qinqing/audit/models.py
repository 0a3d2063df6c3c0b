"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit records are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records are append-only")


class AuditRecord(models.Model):
    """One state change: who, acting for whom, what, before and after; chained by keyed hash within its stream.

    Records form one hash chain per stream (an enterprise's records, or an app's), so unrelated
    work never queues on a single chain head. `seq` is the position in the stream; `id` the order
    of writing. Records written before streams existed form the stream "". Each hash is an
    HMAC-SHA256 of every column under the key `key_id` names, kept outside the database
    (`qinqing.audit.keys`); records written before keying have an empty `key_id`.
    """

    stream = models.CharField(_("stream"), max_length=64, blank=True, default="")
    seq = models.BigIntegerField(_("sequence in stream"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=128)
    acting_for = models.CharField(_("acting for"), max_length=128, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    rule_set_version = models.CharField(_("rule set version"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    key_id = models.CharField(_("key id"), max_length=16, blank=True, default="")  # "": unkeyed, before keying
    hash = models.CharField(max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="audit_unique_stream_seq")]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")

    def __str__(self) -> str:
        return f"#{self.pk} {self.stream}:{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records are append-only")
