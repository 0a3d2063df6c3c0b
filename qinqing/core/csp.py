"""The Content-Security-Policy header, built once per process for the responses that use the plain policy.

django-csp builds the policy from settings on every response (twice: enforced and report-only).
The header only differs when a view decorates its response (`csp_update`, `csp_replace`,
`csp_override`, `csp_exempt`) or a template asked for a nonce; those responses go through
django-csp unchanged. The others (every API answer) take the header built at the first response
and kept until the settings change.
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_DECORATED = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
              "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")
_plain: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {}


def _plain_policy() -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """(header, report-only header, excluded prefixes, excluded report-only prefixes) of the settings' policy."""
    found = _plain.get("policy")
    if found is None:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        found = (build_policy(), build_policy(report_only=True),
                 tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ()),
                 tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()))
        _plain["policy"] = found
    return found


def _forget(**kwargs: Any) -> None:
    _plain.clear()


setting_changed.connect(_forget, dispatch_uid="qinqing-csp-plain-policy")


class KeptPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; a response without decorations or a nonce takes the header kept per process."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _DECORATED):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        header, header_ro, excluded, excluded_ro = _plain_policy()
        path = request.path_info
        if header and HEADER not in response and not path.startswith(excluded):
            response[HEADER] = header
        if header_ro and HEADER_REPORT_ONLY not in response and not path.startswith(excluded_ro):
            response[HEADER_REPORT_ONLY] = header_ro
        request.csp_nonce = self._nonce_too_late  # type: ignore[attr-defined]
        return response

    @property
    def _nonce_too_late(self) -> Any:
        from csp.middleware import CheckableLazyObject

        return CheckableLazyObject(self._csp_nonce_post_response)
