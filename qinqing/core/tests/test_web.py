import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from qinqing.core.errors import ValidationFailed
from qinqing.core.web import domain_error_messages


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_domain_error_messages_give_the_summary_and_each_fields_messages():
    shown = domain_error_messages(ValidationFailed("Please correct.", errors={"name": ["Required."], "n": ["Too big."]}))
    assert shown.summary == "Please correct."
    assert shown.fields == {"name": ["Required."], "n": ["Too big."]}
    assert shown.text == "Please correct. Required. Too big."


@pytest.mark.parametrize(("details", "flashed"), [(True, "No. Why."), (False, "No.")])
def test_domain_error_messages_flash_with_or_without_details(details, flashed):
    request = _request()
    domain_error_messages(ValidationFailed("No.", errors={"x": ["Why."]}), request, flash_details=details)
    assert [str(m) for m in get_messages(request)] == [flashed]
