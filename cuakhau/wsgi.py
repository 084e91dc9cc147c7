"""WSGI entry point (gunicorn ``cuakhau.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuakhau.settings")
application = get_wsgi_application()
