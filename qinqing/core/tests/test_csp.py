"""The Content-Security-Policy header kept per process equals django-csp's, and decorated responses still go through it."""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from qinqing.core.csp import KeptPolicyCSPMiddleware

HEADER = "Content-Security-Policy"


def _both(view, path: str = "/api/v1/x") -> tuple[Any, Any]:
    factory = RequestFactory()
    return CSPMiddleware(view)(factory.get(path)), KeptPolicyCSPMiddleware(view)(factory.get(path))


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def test_a_plain_response_gets_the_same_policy_as_from_django_csp():
    plain, kept = _both(lambda request: JsonResponse({"ok": True}))
    assert _directives(kept[HEADER]) == _directives(plain[HEADER])
    assert "default-src 'self'" in kept[HEADER]


def test_a_decorated_response_and_a_nonce_still_change_the_policy():
    @csp_update({"img-src": ["https://maps.example"]})
    def decorated(request: HttpRequest) -> HttpResponse:
        return HttpResponse("x")

    plain, kept = _both(decorated)
    assert "https://maps.example" in kept[HEADER] and _directives(kept[HEADER]) == _directives(plain[HEADER])

    def with_nonce(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.csp_nonce))  # type: ignore[attr-defined]

    policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        response = KeptPolicyCSPMiddleware(with_nonce)(RequestFactory().get("/"))
    assert f"'nonce-{response.content.decode()}'" in response[HEADER]


def test_a_header_set_by_the_view_is_kept_and_a_settings_change_is_seen():
    def own(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("file")
        response[HEADER] = "default-src 'none'; sandbox"
        return response

    assert KeptPolicyCSPMiddleware(own)(RequestFactory().get("/"))[HEADER] == "default-src 'none'; sandbox"
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        response = KeptPolicyCSPMiddleware(lambda request: HttpResponse("x"))(RequestFactory().get("/"))
    assert response[HEADER] == "default-src 'none'"


def test_the_nonce_cannot_be_read_after_the_header_was_written():
    request = RequestFactory().get("/")
    KeptPolicyCSPMiddleware(lambda r: HttpResponse("x"))(request)
    with pytest.raises(Exception, match="csp_nonce"):
        str(request.csp_nonce)
