"""Request bodies sent with ``Transfer-Encoding: chunked``: read whole, or refused with a 411 — never dropped.

Django reads a body by its ``Content-Length``; without one (a chunked body has none) it reads nothing, and a PATCH
would be answered 200 having changed nothing. A server that decodes chunked bodies says so with the WSGI
``wsgi.input_terminated`` flag (gunicorn does): the body is then read here, up to the size limit, and handed to
Django with its length. A server that does not (Django's development server) cannot be trusted to end the body: the
request is refused with a 411 asking for a ``Content-Length``.
"""

import io
import json

from django.conf import settings


def _answer(start_response, status: str, detail: str, path: str):
    if path.startswith("/api/"):
        body = json.dumps({"detail": detail}).encode()
        content_type = "application/json"
    else:
        body = (detail + "\n").encode()
        content_type = "text/plain; charset=utf-8"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class ChunkedBody:
    """WSGI middleware around the Django application (``registry.wsgi``)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            path = environ.get("PATH_INFO", "")
            if not environ.get("wsgi.input_terminated"):
                return _answer(
                    start_response,
                    "411 Length Required",
                    "Send the request body with a Content-Length header: this server does not read chunked bodies "
                    "(Transfer-Encoding: chunked).",
                    path,
                )
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read() if limit is None else environ["wsgi.input"].read(limit + 1)
            if limit is not None and len(body) > limit:
                return _answer(
                    start_response,
                    "413 Request Entity Too Large",
                    f"The request body is too large: more than {limit} bytes, the limit is {limit}.",
                    path,
                )
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)
