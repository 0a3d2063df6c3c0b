"""Files in a chat or on a work order, and their download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.core.errors import DomainError
from qinqing.servicedesk.errors import DeskInvalid
from qinqing.servicedesk.models import Attachment, Conversation, WorkOrder
from qinqing.servicedesk.services import attachments
from qinqing.servicedesk.services.chat import message_payload
from qinqing.servicedesk.views._common import (
    json_error,
    visible_chat,
    visible_order,
)


def _attach(request: HttpRequest, item: Conversation | WorkOrder) -> Attachment:
    upload = request.FILES.get("file")
    if upload is None:
        raise DeskInvalid(_("Choose a file."), errors={"file": [_("This field is required.")]})
    return attachments.attach(item=item, user=request_user(request), handle=upload, name=upload.name or "file",
                              size=upload.size, client_id=request.POST.get("client_id", ""))


@login_required
@require_POST
def chat_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a file in a chat (multipart `file`, optional `client_id`): checked by content, then pushed like a message."""
    conversation = visible_chat(request_user(request), pk)
    try:
        attachment = _attach(request, conversation)
    except DomainError as exc:
        if request.headers.get("Accept", "").startswith("application/json"):
            return json_error(exc)
        if exc.status_code == 403:
            raise PermissionDenied from exc
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        if not exc.errors:
            messages.error(request, str(exc.message))
        return redirect("servicedesk:conversation", pk=conversation.pk)
    if request.headers.get("Accept", "").startswith("application/json"):
        message = attachment.message
        assert message is not None
        return JsonResponse({"type": "ack", "seq": message.seq, "client_id": message.client_id,
                             "message": message_payload(message)}, status=201)
    return redirect("servicedesk:conversation", pk=conversation.pk)


@login_required
@require_POST
def order_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a file to a work order (the enterprise's evidence, the D小二's answer), checked by content."""
    order = visible_order(request_user(request), pk)
    try:
        _attach(request, order)
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        if not exc.errors:
            messages.error(request, str(exc.message))
    else:
        messages.success(request, _("File added."))
    return redirect("servicedesk:order", pk=order.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download an attachment of a chat or work order the user may see (another enterprise's: 404).

    Always as a download, typed by the content found at upload; `nosniff` and a sandboxing CSP keep a
    browser from running it as a page.
    """
    attachment = attachments.visible_attachments(request_user(request)).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachments.download(attachment)
