"""A form rendering submitted twice (Back, then submit again): answer with what the first submission created."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.cases.models import Case


def first_submission(request: HttpRequest, user: User, key: str) -> int:
    """The id of the case this form rendering (its idempotency key) created, with a message saying so."""
    messages.info(request, _("This form was already submitted; here is the application it created. "
                             "To apply again, open the form anew."))
    return Case.objects.filter(applicant=user, idempotency_key=key).values_list("pk", flat=True).get()
