"""Request-level guards and response headers that apply to every view."""

import json
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseRedirectBase
from django.middleware import common
from django.urls import reverse
from django.utils.http import escape_leading_slashes

from registry.errors import is_api_path
from registry.throttling import AdminLoginThrottle

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # The admin and ReDoc set inline styles; no inline script is allowed anywhere.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RejectNulBytesMiddleware:
    """Answer 400 to a NUL byte in the path or query string: no database or parser should ever see one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(query):
            where = "path" if "\x00" in request.path else "query string"
            return JsonResponse({"detail": f"The {where} contains a NUL byte, which is never valid."}, status=400)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and the headers Django's SecurityMiddleware does not set."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class AdminLoginThrottleMiddleware:
    """Refuse admin login attempts above the rate with a 429, so passwords cannot be guessed at speed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == reverse("admin:login"):
            throttle = AdminLoginThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, int(throttle.wait() or 1))
                response = HttpResponse(
                    f"Too many login attempts from your address. Try again in {wait} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a 413 before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        length = int(raw) if raw.isdigit() else 0
        if limit is not None and length > limit:
            message = f"The request body is too large: {length} bytes, the limit is {limit}."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def redirect_keeping_method(location: str, detail: str) -> HttpResponseRedirectBase:
    return PermanentRedirectKeepingMethod(
        location, content=json.dumps({"detail": detail}), content_type="application/json"
    )


class ApiHttpsRedirectMiddleware:
    """On API paths, Django's HTTP-to-HTTPS redirect (SECURE_SSL_REDIRECT, a 301 from SecurityMiddleware, which sits
    inside this one) becomes a 308 in JSON: after a 301, clients repeat a POST as a GET without its body, and the
    write is silently lost."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 301
            and settings.SECURE_SSL_REDIRECT
            and not request.is_secure()
            and is_api_path(request.path)
            and response["Location"].startswith("https://")
        ):
            detail = "This API is served over HTTPS only: repeat the request there."
            return redirect_keeping_method(response["Location"], detail)
        return response


class ApiJsonErrorsMiddleware:
    """The last resort for "every error on an API path is JSON": an error answer some view or middleware gave in
    another format (Django's ``require_safe`` answers 405 with an empty HTML body) is replaced by a JSON one with the
    same status and headers. Under DEBUG, Django's debug pages are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api_path(request.path)
            and not response.streaming
            and not response.get("Content-Type", "").startswith("application/json")
            and not settings.DEBUG
        ):
            if response.status_code == 405:
                detail = f'Method "{request.method}" not allowed.'
            else:
                detail = f"{response.reason_phrase}."
            replacement = JsonResponse({"detail": detail}, status=response.status_code)
            for header, value in response.headers.items():
                if header.lower() not in {"content-type", "content-length"}:
                    replacement[header] = value
            return replacement
        return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's, but an API URL without its trailing slash is a 308 to the URL with it, in JSON.

    Django answers 301, which clients follow with a GET that drops a POST's body (and under DEBUG it raises a
    RuntimeError instead); 308 makes them repeat the same method with the same body.
    """

    def process_response(self, request, response):
        if response.status_code == 404 and is_api_path(request.path) and self.should_redirect_with_slash(request):
            location = escape_leading_slashes(request.get_full_path(force_append_slash=True))
            return redirect_keeping_method(
                location, f"This URL ends with a slash: {location} (repeat the request there)."
            )
        return super().process_response(request, response)


class PermanentRedirectKeepingMethod(HttpResponseRedirectBase):
    status_code = 308
