"""Request body parsing: JSON, refusing NUL characters anywhere (no database text column can hold one)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("The request body contains a NUL character (\\u0000), which is never valid.")
        return data
