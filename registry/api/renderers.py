"""Output formats: fast JSON (orjson), and streamed CSV and GeoJSON exports of whole filtered lists."""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import orjson
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import renderers

EXPORT_CHUNK_SIZE = 1000
STREAM_PIECE = 64 * 1024  # bytes an export buffers between two writes


def json_default(value):
    """Money and coordinates are JSON numbers (API.md): whole Decimals as integers, others as floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dumps(data) -> bytes:
    return orjson.dumps(data, default=json_default, option=orjson.OPT_NON_STR_KEYS)


class ORJSONRenderer(renderers.BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (renderer_context or {}).get("indent"):  # the browsable API shows the JSON indented
            return orjson.dumps(data, default=json_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_INDENT_2)
        return dumps(data)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages for a browser (``Accept: text/html`` or ``?format=api``), with the filter form; chosen only
    when a client asks for HTML, after JSON, CSV and GeoJSON. Errors stay JSON (registry.api.views)."""


class CSVRenderer(renderers.BaseRenderer):
    """Selects CSV by ``?format=csv`` or ``Accept: text/csv``; the list view streams the rows itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only reached for non-list answers (errors are switched to JSON before this).
        return dumps(data)


class GeoJSONRenderer(CSVRenderer):
    media_type = "application/geo+json"
    format = "geojson"
    charset = None


EXPORT_FORMATS = {"csv", "geojson"}


# OWASP's advice against CSV injection: a spreadsheet reads a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(csv_text(item) for item in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={csv_text(v)}" for k, v in value.items())
    if isinstance(value, Decimal):
        return str(json_default(value))
    return str(value)


def csv_cell(value) -> str:
    """The value as a CSV cell. A number (a JSON number in the API) is written as it is, negative or not: it cannot
    hold a formula. Any other cell that starts like a formula gets a leading single quote, which spreadsheets show as
    text and do not evaluate."""
    text = csv_text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# Excel reads a CSV file as UTF-8 only when it starts with the byte order mark; without it "±660 kV" shows as
# "Â±660 kV". pandas, R and Python's "utf-8-sig" skip it.
UTF8_BOM = "\ufeff"


def stream_csv(columns: list[str], rows: Iterable[dict]) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    # CRLF line ends (RFC 4180, what spreadsheets write): the writer then quotes any cell holding a CR or LF.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
        if buffer.tell() > STREAM_PIECE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def stream_geojson(
    rows: Iterable[dict],
    geometry: Callable[[dict], dict | None],
    identifier: Callable[[dict], str | None] = lambda row: None,
) -> Iterator[bytes]:
    """A FeatureCollection; a feature has an ``id`` (RFC 7946, 3.2) when ``identifier`` gives one for its row.
    Written in pieces of about 64 KB, as the CSV is: a write per feature cost more than the feature."""
    buffer = bytearray(b'{"type":"FeatureCollection","features":[')
    separator = b""
    for row in rows:
        feature_id = identifier(row)
        if feature_id is None:
            feature = {"type": "Feature", "geometry": geometry(row), "properties": row}
        else:
            feature = {"type": "Feature", "id": feature_id, "geometry": geometry(row), "properties": row}
        buffer += separator
        buffer += dumps(feature)
        separator = b","
        if len(buffer) > STREAM_PIECE:
            yield bytes(buffer)
            buffer.clear()
    buffer += b"]}"
    yield bytes(buffer)


def export_response(chunks: Iterator[bytes], *, content_type: str, basename: str, extension: str):
    response = StreamingHttpResponse(chunks, content_type=content_type)
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{extension}"'
    return response
