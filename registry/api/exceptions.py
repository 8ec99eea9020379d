"""One JSON error shape for every API failure, including the ones Django raises itself."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def django_validation_error_detail(error: DjangoValidationError):
    """Turn a model ``full_clean()`` error into DRF's ``{"field": ["..."]}`` / ``{"detail": ...}`` shape."""
    if hasattr(error, "error_dict"):
        detail = {}
        for field, errors in error.message_dict.items():
            detail["non_field_errors" if field == "__all__" else field] = errors
        return detail
    return {"non_field_errors": error.messages}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def protected_error_detail(error: ProtectedError | RestrictedError) -> str:
    objects = list(getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", None) or [])
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return (
        f"This record is still referenced by {len(objects)} other record(s) ({', '.join(kinds)}); "
        "remove those references first."
    )


def exception_handler(exc, context):
    if isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(protected_error_detail(exc))
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_error_detail(exc))
    return drf_exception_handler(exc, context)
