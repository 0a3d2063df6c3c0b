"""The JSON API under /api/v1: routers of each app, and the one mapping of errors to HTTP."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qinqing.accounts.api import BearerAuth
from qinqing.accounts.api import router as auth_router
from qinqing.bundles.api import router as bundles_router
from qinqing.cases.api import public as public_router
from qinqing.cases.api import router as cases_router
from qinqing.cases.roster.api import router as rosters_router
from qinqing.catalog.api import router as catalog_router
from qinqing.cockpit import modules_api as _cockpit_modules  # noqa: F401  (its routes join the cockpit router)
from qinqing.cockpit.api import router as cockpit_router
from qinqing.core.errors import DomainError
from qinqing.datahub.api import router as datahub_router
from qinqing.policies.api import router as policies_router
from qinqing.servicedesk.api import router as servicedesk_router

api = NinjaAPI(
    title="亲清在线 Qinqing API",
    version="1.0.0",
    description="Matters, cases, automatic decisions (秒办), review and e-licences.",
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/auth", auth_router)
api.add_router("/", public_router)
api.add_router("/", catalog_router)
api.add_router("/", cases_router)
api.add_router("/", datahub_router)
api.add_router("/", bundles_router)
api.add_router("/", rosters_router)
api.add_router("/", servicedesk_router)
api.add_router("/", policies_router)
api.add_router("/", cockpit_router)


def _error(request: HttpRequest, status: int, code: str, detail: str, errors: dict[str, list[str]] | None = None,
           **extra: Any) -> HttpResponse:
    return api.create_response(request, {"code": code, "detail": detail, "errors": errors or {}, **extra},
                               status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    # A refused duplicate (409 `duplicate_application`) also names the existing application.
    body = exc.as_dict()
    extra = {"existing": body["existing"]} if "existing" in body else {}
    response = _error(request, exc.status_code, body["code"], body["detail"], body["errors"], **extra)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def _field_name(loc: list[Any]) -> str:
    # Drop the source ("file", "form", …) that leads the location, not a field of that name after it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "cookie"}:
        parts = parts[1:]
    if parts and parts[0] in {"body", "payload"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = list(item.get("loc", []))
        if loc and loc[0] == "body" and len(loc) > 1 and loc[1] in {"body", "payload"}:
            loc = loc[1:]
        errors.setdefault(_field_name(loc), []).append(_translate_pydantic(item))
    return _error(request, 422, "validation_failed", _("Please correct the marked fields."), errors)


def _translate_pydantic(item: dict[str, Any]) -> str:
    kind = str(item.get("type", ""))
    table = {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "string_type": _("Enter text."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "dict_type": _("Must be an object."),
        "literal_error": _("Not one of the allowed values."),
        "json_invalid": _("The body is not valid JSON."),
        "model_attributes_type": _("The body must be a JSON object."),
        "string_too_short": _("Too short."),
        "string_too_long": _("Too long."),
    }
    return table.get(kind, str(item.get("msg", _("Invalid value."))))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "unauthenticated", _("Log in first: send Authorization: Bearer <token>."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return _error(request, 413, "too_large", _("The request body is too large (at most %(kb)d KB).") % {"kb": limit})


@api.exception_handler(MultiPartParserError)
def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _error(request, 400, "bad_request", _("The multipart body cannot be parsed."))


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot store (e.g. a NUL character) is the client's error, never a 500.
    return _error(request, 400, "bad_request", _("The request contains characters that cannot be stored."))


# ninja's own words for a body it cannot read (an HttpError it raises before the view), in the API's language.
_NINJA_BODY_ERROR = "Cannot parse request body"


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith(_NINJA_BODY_ERROR):
        return _error(request, 400, "bad_request", _("The request body cannot be parsed: send JSON (UTF-8)."))
    return _error(request, exc.status_code, "error", str(exc))
