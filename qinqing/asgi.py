import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
django_application = get_asgi_application()

from qinqing.core.bodylimit import BodyLimitASGI  # noqa: E402  (after Django is set up)

# A body over its limit is refused before Django spools it (413).
application = BodyLimitASGI(django_application)
