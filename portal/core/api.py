"""API helpers shared by every app: one exception handler so service errors read the same everywhere."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from portal.core.concurrency import StaleRecordError
from portal.core.references import ReferencedError


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The record changed since you loaded it."
    default_code = "conflict"


def validation_error_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [m for e in errs for m in e.messages]
            for field, errs in error.error_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """Django `ValidationError` raised by a service becomes a 400 naming the field and the rule; a stale edit
    (optimistic locking) becomes 409 Conflict naming who changed the record and when, and so does a delete refused
    because records still refer to the row (the message names them and the alternative)."""
    if isinstance(exc, StaleRecordError | ReferencedError):
        exc = Conflict(detail=" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    return drf_exception_handler(exc, context)
