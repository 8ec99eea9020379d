"""WSGI entry point for gunicorn: the Django application, reading chunked request bodies (``registry.chunked``)."""

import os

from django.core.wsgi import get_wsgi_application

from registry.chunked import ChunkedBody

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

application = ChunkedBody(get_wsgi_application())
