"""Bench-only ASGI entry point: the real Qinqing application (`qinqing.asgi`) plus one "floor" endpoint.

The floor is what the same server costs for the cheapest useful authenticated write: an
authenticated POST (the API's bearer-token check, ``user_for_token``) that does one INSERT and
nothing else. It is added here, at import time, to the product's URL patterns, so product and floor
share one process, one middleware stack, one database connection and one setup. Nothing in the
product knows about it; it exists only when uvicorn is started on ``bench.floor_asgi:application``.

``create_table()`` creates the floor's table; the benchmark calls it once before starting uvicorn
(``python -c "from bench.floor_asgi import create_table; create_table()"``).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")


def _what_if_connections() -> None:
    """BENCH_DB_CONNECTIONS=persistent|close: compare database connection settings without editing the product.

    product (default): the settings as shipped (PostgreSQL: a psycopg pool per process since 018f55d).
    persistent: the earlier setting, CONN_MAX_AGE=60 and no pool (leaks connections under ASGI).
    close: CONN_MAX_AGE=0 and no pool, one new connection per request.
    Applied before the first connection is made; the benchmark labels such runs as what-if.
    """
    mode = os.environ.get("BENCH_DB_CONNECTIONS", "product")
    if mode == "product":
        return
    from django.conf import settings

    db = settings.DATABASES["default"]
    db.get("OPTIONS", {}).pop("pool", None)
    db["CONN_MAX_AGE"] = 60 if mode == "persistent" else 0
    db["CONN_HEALTH_CHECKS"] = mode == "persistent"


_what_if_connections()

# isort: off
import qinqing.asgi  # noqa: E402  - the product's entry point; runs django.setup() before the imports below
# isort: on

application = qinqing.asgi.application

import logging  # noqa: E402

from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

import qinqing.urls  # noqa: E402
from qinqing.accounts.services import user_for_token  # noqa: E402

FLOOR_PATH = "api/v1/bench/floor"


def create_table() -> None:
    """Create the floor's table (idempotent)."""
    if connection.vendor == "postgresql":
        ddl = ("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, user_id bigint NOT NULL, "
               "at timestamptz NOT NULL)")
    else:
        ddl = ("CREATE TABLE IF NOT EXISTS bench_floor (id integer PRIMARY KEY AUTOINCREMENT, "
               "user_id integer NOT NULL, at text NOT NULL)")
    with connection.cursor() as cursor:
        cursor.execute(ddl)


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    """Authenticated POST → one INSERT → 201. Mirrors BearerAuth: `Authorization: Bearer <token>`."""
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        return JsonResponse({"code": "unauthenticated"}, status=401)
    _ = request.body  # read the (small) JSON body, as the API does
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor (user_id, at) VALUES (%s, %s)",
            [user.pk, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
    return JsonResponse({"ok": True}, status=201)


# Server errors (500) are otherwise silent with DEBUG off: print their tracebacks to the server log.
_errors = logging.StreamHandler()
_errors.setLevel(logging.ERROR)
_errors.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
logging.getLogger("django.request").addHandler(_errors)

# Before the product's patterns, so no catch-all ("" includes) can shadow it.
qinqing.urls.urlpatterns.insert(0, path(FLOOR_PATH, floor, name="bench-floor"))  # type: ignore[arg-type]


def __getattr__(name: str) -> object:
    """`wsgi_application`: the same project through Django's WSGI handler (a what-if; the product is ASGI)."""
    if name == "wsgi_application":
        from django.core.wsgi import get_wsgi_application

        globals()[name] = get_wsgi_application()
        return globals()[name]
    raise AttributeError(name)
