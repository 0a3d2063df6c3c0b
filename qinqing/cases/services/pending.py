"""Files a form accepted while other fields were still wrong: kept server-side for its next submission.

A form rendering carries one idempotency key; the files it accepted are stored against (person,
key) so that correcting a field never means attaching every file again. They are handed to the
submission when the form finally goes through, and expire otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.cases.models import PendingUpload
from qinqing.cases.services._common import Upload
from qinqing.cases.uploads import CheckedUpload
from qinqing.core import events

KEEP_FOR = dt.timedelta(hours=24)


def keep_uploads(*, user: User, form_key: str, uploads: Iterable[Upload]) -> list[PendingUpload]:
    """Store accepted files against the form's key; a new file for the same material replaces the old one."""
    uploads = list(uploads)
    if not form_key or not uploads:
        return []
    now = timezone.now()
    kept: list[PendingUpload] = []
    with events.atomic():
        _purge(PendingUpload.objects.filter(expires_at__lte=now))
        codes = {code for code, _upload in uploads}
        _purge(PendingUpload.objects.filter(user=user, form_key=form_key, requirement_code__in=codes))
        for code, upload in uploads:
            pending = PendingUpload(
                user=user, form_key=form_key, requirement_code=code, stored_name=upload.stored_name,
                original_name=upload.display_name, content_type=upload.content_type, size=len(upload.content),
                sha256=upload.sha256, expires_at=now + KEEP_FOR,
            )
            pending.file.save(upload.stored_name, ContentFile(upload.content), save=False)
            pending.save()
            kept.append(pending)
        record_event(actor=user, action="upload.kept", obj=kept[0],
                     after={"form": form_key[:16], "files": [[p.requirement_code, p.sha256] for p in kept]})
    return kept


def kept_uploads(*, user: User, form_key: str) -> list[Upload]:
    """The files kept for this person's form, read back as checked uploads (they were checked on arrival)."""
    if not form_key:
        return []
    out: list[Upload] = []
    for pending in PendingUpload.objects.for_form(user, form_key):
        with pending.file.open("rb") as handle:
            content = handle.read()
        out.append((pending.requirement_code, CheckedUpload(
            content=content, content_type=pending.content_type, extension=pending.stored_name.rsplit(".", 1)[-1],
            display_name=pending.original_name, stored_name=pending.stored_name, sha256=pending.sha256,
        )))
    return out


def release_uploads(*, user: User, form_key: str) -> int:
    """Drop the files kept for a form once its submission has stored them on the case."""
    if not form_key:
        return 0
    with events.atomic():
        rows = PendingUpload.objects.filter(user=user, form_key=form_key)
        first = rows.first()
        if first is None:
            return 0
        record_event(actor=user, action="upload.released", obj=first, after={"form": form_key[:16]})
        return _purge(rows)


def _purge(rows: Iterable[PendingUpload]) -> int:
    count = 0
    for pending in list(rows):
        pending.file.delete(save=False)
        pending.delete()
        count += 1
    return count
