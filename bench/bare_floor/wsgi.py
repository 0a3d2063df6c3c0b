"""WSGI entry of the bare floor: `gunicorn bench.bare_floor.wsgi:application -w 2`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_floor.settings")
application = get_wsgi_application()
