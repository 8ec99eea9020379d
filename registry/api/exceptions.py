"""One JSON error shape for every API failure, including the ones Django raises itself."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def django_validation_error_detail(error: DjangoValidationError):
    """Turn a model ``full_clean()`` error into DRF's ``{"field": ["..."]}`` / ``{"detail": ...}`` shape."""
    if hasattr(error, "error_dict"):
        detail = {}
        for field, errors in error.message_dict.items():
            detail["non_field_errors" if field == "__all__" else field] = errors
        return detail
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_error_detail(exc))
    return drf_exception_handler(exc, context)
