"""CORS policy: any origin may read the API; only the configured origins may write (``CORS_WRITE_ORIGINS``).

A preflight advertises exactly the methods the asking origin may use, so that no browser caches write methods for an
origin that may only read.
"""

from corsheaders import middleware
from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.dispatch import receiver

READ_METHODS = {"GET", "HEAD"}
READ_ONLY_ALLOWED = ["GET", "HEAD", "OPTIONS"]
READ_WRITE_ALLOWED = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]


def is_read(request) -> bool:
    if request.method == "OPTIONS":  # a preflight says which method will follow
        return request.headers.get("Access-Control-Request-Method", "").upper() in READ_METHODS
    return request.method in READ_METHODS


def may_write(request) -> bool:
    return request.headers.get("Origin") in settings.CORS_WRITE_ORIGINS


@receiver(check_request_enabled)
def allow_cross_origin(sender, request, **kwargs):
    if not request.path.startswith("/api/"):
        return False
    return is_read(request) or may_write(request)


class CorsMiddleware(middleware.CorsMiddleware):
    """django-cors-headers, with the preflight's allowed methods chosen per origin."""

    def add_response_headers(self, request, response):
        response = super().add_response_headers(request, response)
        if middleware.ACCESS_CONTROL_ALLOW_METHODS in response:
            allowed = READ_WRITE_ALLOWED if may_write(request) else READ_ONLY_ALLOWED
            response[middleware.ACCESS_CONTROL_ALLOW_METHODS] = ", ".join(allowed)
        return response
