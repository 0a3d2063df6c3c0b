"""ASGI entry point: plain HTTP through Django's synchronous handler, WebSockets (the D小二 chat) through channels.

Django's own middlewares are synchronous hooks (`MiddlewareMixin`); under Django's ASGI handler
each of them is run through `sync_to_async`, so a request crossed between the event loop and a
thread a dozen times. Plain HTTP therefore goes through Django's WSGI handler in a thread pool
(a2wsgi): one crossing per request, the whole middleware chain synchronous, as under a WSGI
server. WebSockets stay asynchronous (channels). See docs/decisions/0005-http-through-the-sync-handler.md.
`QINQING_HTTP_HANDLER=asgi` serves HTTP through Django's ASGI handler as before (for comparison).
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()  # runs django.setup()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402 - after Django is set up
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from qinqing.core.bodylimit import BodyLimitASGI  # noqa: E402
from qinqing.core.wsgibridge import WSGIBridge  # noqa: E402
from qinqing.servicedesk.consumers import websocket_urlpatterns  # noqa: E402


def http_application() -> Any:
    """Plain HTTP: Django's synchronous handler in a pool of threads (QINQING_HTTP_THREADS, default 10).

    A small request crosses to its thread once and back once (`core.wsgibridge`); large bodies and streamed
    answers go through a2wsgi. `QINQING_HTTP_HANDLER=a2wsgi` sends everything through a2wsgi (as until
    2026-12-07), `asgi` through Django's ASGI handler (as before issue 10).
    """
    handler = os.environ.get("QINQING_HTTP_HANDLER", "sync")
    if handler == "asgi":
        return django_application
    threads = int(os.environ.get("QINQING_HTTP_THREADS", "10"))
    if handler == "a2wsgi":
        return WSGIMiddleware(get_wsgi_application(), workers=threads)  # type: ignore[arg-type]  # a WSGI callable
    return WSGIBridge(get_wsgi_application(), workers=threads)


application = ProtocolTypeRouter({
    # A body over its limit is refused before Django spools it (413).
    "http": BodyLimitASGI(http_application()),
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
