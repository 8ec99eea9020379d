"""CORS policy: any origin may read the API; only the configured origins may write (``CORS_WRITE_ORIGINS``)."""

from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.dispatch import receiver

READ_METHODS = {"GET", "HEAD"}


def is_read(request) -> bool:
    if request.method == "OPTIONS":  # a preflight says which method will follow
        return request.headers.get("Access-Control-Request-Method", "").upper() in READ_METHODS
    return request.method in READ_METHODS


@receiver(check_request_enabled)
def allow_cross_origin(sender, request, **kwargs):
    if not request.path.startswith("/api/"):
        return False
    return is_read(request) or request.headers.get("Origin") in settings.CORS_WRITE_ORIGINS
