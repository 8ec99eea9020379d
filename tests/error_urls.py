"""The registry's URLs plus views that only the error tests need: a plain (non-DRF) form under /api/ that Django's
CSRF middleware guards, and views that fail, under /api/ and elsewhere."""

from django.http import HttpResponse
from django.urls import path

from registry.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def plain_form(request):
    return HttpResponse("stored")


def failing(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("api/v1/plain-form/", plain_form),
    path("api/v1/failing/", failing),
    path("failing/", failing),
    *urlpatterns,
]
