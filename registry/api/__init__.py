"""Shared API machinery: pagination, errors, strict query parameters, renderers."""
