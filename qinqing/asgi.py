"""ASGI entry point: HTTP through Django, WebSockets (the D小二 chat) through channels, session-authenticated."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - after Django is set up
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from qinqing.core.bodylimit import BodyLimitASGI  # noqa: E402
from qinqing.servicedesk.consumers import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    # A body over its limit is refused before Django spools it (413).
    "http": BodyLimitASGI(django_application),
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
