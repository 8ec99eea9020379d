"""Validators whose rule is also the OpenAPI schema's, so that the server and the schema accept the same values."""

from django.core.validators import RegexValidator

# A web address as the schema documents it (``pattern``) and the models accept it (with Django's URLValidator for
# http/https, which this is a strict subset of): a case-insensitive http(s) scheme, a DNS host name of at most 253
# characters ending in a letters-only top-level domain, an optional port, then only the characters RFC 3986 allows
# (percent-escapes included). Django's own validator also takes "localhost", IP addresses and control or non-ASCII
# characters in the path, which the schema's `format: uri` refuses: the registry refuses them too.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
WEB_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://(?=[^/?#:]{1,253}(?:[/?#:]|$))"
    rf"(?:{_LABEL}\.)+[A-Za-z]{{2,63}}(?::[0-9]{{1,5}})?"
    rf"(?:/{_PCHAR}*)*(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$"
)
web_url_validator = RegexValidator(
    WEB_URL_PATTERN,
    message="Enter a web address: http:// or https://, a host name such as example.org, and only the characters "
    "a URL allows (escape others as %%XX).",
    code="invalid",
)
