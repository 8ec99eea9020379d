"""Request body parsing: JSON, refusing NUL characters anywhere (no database text column can hold one) and nesting
deeper than ``MAX_DEPTH`` (no registry body is more than three levels deep; ten thousand would exhaust the stack)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Arrays and objects inside one another; a project with its participants is three.
MAX_DEPTH = 32
TOO_DEEP = f"The request body is nested more than {MAX_DEPTH} arrays or objects deep, which is never valid here."
NUL = "The request body contains a NUL character (\\u0000), which is never valid."


def check_structure(data) -> None:
    """Refuse NUL characters and excessive nesting, walking the parsed body without recursion."""
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(NUL)
            continue
        if isinstance(value, dict):
            children = [item for pair in value.items() for item in pair]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= MAX_DEPTH:
            raise ParseError(TOO_DEEP)
        pending.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The standard library's decoder recurses once per level: it gives up near Python's recursion limit.
            raise ParseError(TOO_DEEP) from None
        check_structure(data)
        return data
