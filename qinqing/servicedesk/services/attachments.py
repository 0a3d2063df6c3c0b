"""Attachments in chats and work orders: checked by content like case uploads, size-limited, scoped to the item."""

from __future__ import annotations

from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.cases.errors import UploadRefused
from qinqing.cases.uploads import check_upload, display_name
from qinqing.core import events
from qinqing.core.events.types import DeskReplied
from qinqing.servicedesk.errors import DeskInvalid, WrongState
from qinqing.servicedesk.models import Attachment, Conversation, Message, WorkOrder
from qinqing.servicedesk.services import chat
from qinqing.servicedesk.services._common import (
    about,
    kind_of,
    locked,
    require_enterprise_of,
    require_staff_on,
    step,
    subject,
)
from qinqing.servicedesk.workflow import OPEN_ORDER, ChatStatus


def limit_bytes() -> int:
    """The desk's own cap (QINQING_DESK_MAX_ATTACHMENT_BYTES, 5 MB by default), never above the upload cap."""
    return min(int(getattr(settings, "QINQING_DESK_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)),
               int(settings.QINQING_MAX_UPLOAD_BYTES))


def _checked(handle: IO[bytes], name: str, size: int | None) -> tuple[bytes, str, str, str, str]:
    limit = limit_bytes()
    shown = display_name(name)
    if size is not None and size > limit:
        raise DeskInvalid(_("File too large."), errors={"file": [
            _("%(name)s is larger than %(mb)s MB.") % {"name": shown, "mb": f"{limit / (1024 * 1024):g}"}]})
    head = handle.read(limit + 1)
    if len(head) > limit:
        raise DeskInvalid(_("File too large."), errors={"file": [
            _("%(name)s is larger than %(mb)s MB.") % {"name": shown, "mb": f"{limit / (1024 * 1024):g}"}]})
    import io

    try:
        checked = check_upload(io.BytesIO(head), name, len(head))
    except UploadRefused as refused:
        raise DeskInvalid(str(refused.message), errors=refused.errors) from None
    return checked.content, checked.content_type, checked.display_name, checked.stored_name, checked.sha256


def _permit(item: Conversation | WorkOrder, user: User) -> None:
    if user.is_enterprise:
        require_enterprise_of(user, item)
    else:
        require_staff_on(user, item)


def attach(*, item: Conversation | WorkOrder, user: User, handle: IO[bytes], name: str, size: int | None = None,
           client_id: str = "") -> Attachment:
    """Check the file by content, store it under a random name, and show it in the chat or on the work order."""
    _permit(item, user)
    if isinstance(item, Conversation) and client_id:
        existing = Attachment.objects.filter(message__conversation=item, message__client_id=client_id[:64]).first()
        if existing is not None:
            return existing
    content, content_type, shown, stored_name, sha256 = _checked(handle, name, size)
    with events.atomic():
        item = locked(item)
        _permit(item, user)
        if isinstance(item, Conversation) and item.status == ChatStatus.CLOSED:
            raise WrongState(_("This consultation is closed; open a new one."))
        if isinstance(item, WorkOrder) and item.status not in OPEN_ORDER:
            raise WrongState(_("This work order is closed."))
        if isinstance(item, Conversation) and user.is_enterprise and chat.flooding(item, user):
            from qinqing.servicedesk.errors import TooManyMessages

            raise TooManyMessages(_("Too many messages at once; wait a few seconds."))
        attachment = Attachment(**about(item), uploaded_by=user, stored_name=stored_name, original_name=shown,
                                content_type=content_type, size=len(content), sha256=sha256)
        attachment.file.save(stored_name, ContentFile(content), save=False)
        attachment.save()
        author = "enterprise" if user.is_enterprise else "staff"
        if isinstance(item, Conversation):
            kind = Message.Author.ENTERPRISE if user.is_enterprise else Message.Author.STAFF
            chat.append_attachment(item, attachment, kind=kind, author=user, client_id=client_id[:64])
        else:
            step(item, "attached", actor=user, note=shown)
        events.emit(DeskReplied(**subject(item), item=kind_of(item), item_id=item.pk, author=author))
        record_event(actor=user, action="servicedesk.attached", obj=item,
                     after={"attachment": attachment.pk, "name": shown, "sha256": sha256, "size": len(content)})
    return attachment


def visible_attachments(user: User) -> QuerySet[Attachment]:
    """Files of the chats and work orders `user` may see (scope as theirs: another enterprise's are absent)."""
    chats = Conversation.objects.visible_to(user).values("pk")
    orders_seen = WorkOrder.objects.visible_to(user).values("pk")
    return Attachment.objects.filter(Q(conversation__in=chats) | Q(work_order__in=orders_seen))


def download(attachment: Attachment) -> FileResponse:
    """Always a download, typed by the content found at upload; `nosniff` and a sandboxing CSP keep a browser
    from running it as a page."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
