"""The API's ReDoc page, served so that it loads nothing from outside the registry.

drf-spectacular's ReDoc template asks Google Fonts for its fonts, and the ReDoc bundle shows Redocly's logo from
cdn.redoc.ly: both are refused by the Content-Security-Policy (console errors) and neither works offline. The page here
uses the system fonts, and the bundle (the sidecar's own file) is served with that one image address pointed at the
registry's icon.
"""

from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularRedocView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _local_bundle(logo_url: str) -> bytes:
    script = Path(finders.find(REDOC_BUNDLE)).read_text(encoding="utf-8")
    return script.replace(REDOCLY_LOGO, logo_url).encode()


@require_safe
def redoc_bundle(request):
    response = HttpResponse(_local_bundle(static("registry/favicon.svg")), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response


class RegistryRedocView(SpectacularRedocView):
    template_name = "registry/redoc.html"

    @staticmethod
    def _redoc_standalone():
        return reverse("redoc-bundle")
