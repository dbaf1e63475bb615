"""API helpers shared by every app: one exception handler so service errors read the same everywhere, the model
serializer base whose fields are built once per class, and the serializer mixin and filter backends that honour the
confidential fields (`portal.core.confidential`)."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.views import exception_handler as drf_exception_handler

from portal.core import confidential
from portal.core.concurrency import StaleRecordError
from portal.core.forms import within_input_limits
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


class ModelSerializer(serializers.ModelSerializer):
    """DRF's `ModelSerializer`, its fields built from the model once per class and copied for each use.

    DRF builds every field from the model's field each time a serializer is made (an incident's detail makes
    nine, for itself and its records: about 40% of its rendering). What it builds depends on the class only (its
    `Meta`, declared fields and model), so the first build is kept on the class and each serializer gets a deep
    copy, as DRF copies declared fields. What depends on the reader is done on the copy (the confidential
    fields' mixin, before this class in the bases)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)


# --- confidential fields (portal.core.confidential) ---------------------------------------------------------------

def _reader(context):
    """Who reads a serializer's output: the request's user; the schema generator documents every field; without a
    request, nobody is cleared."""
    view = context.get("view")
    if getattr(view, "swagger_fake_view", False):
        return _SCHEMA
    request = context.get("request")
    return getattr(request, "user", None)


_SCHEMA = object()  # the OpenAPI schema names every field (and says in its help text who sees it), never a value


class ConfidentialFieldsSerializer:
    """Mixin of a ModelSerializer: a field reading a confidential field of its model (by name or `source`) is left
    out of the representation, the browsable API's forms and the OPTIONS metadata for a reader not cleared for it;
    absent, not empty."""

    def get_fields(self):
        fields = super().get_fields()
        reader = _reader(self.context)
        if reader is _SCHEMA:
            return fields
        hidden = confidential.withheld_fields(reader, self.Meta.model)
        if not hidden:
            return fields
        for name, field in list(fields.items()):
            source = (field.source or name).split(".")[0]
            if name in hidden or source in hidden:
                del fields[name]
        return fields


class ConfidentialFilterBackend(DjangoFilterBackend):
    """django-filter, less the filters on a confidential field the reader is not cleared for (ignored, as an
    unknown parameter is), so its content cannot be probed by result counts."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            for name, item in list(filterset.filters.items()):
                if confidential.path_withheld(queryset.model, item.field_name or name, request.user):
                    del filterset.filters[name]
            for field in filterset.form.fields.values():  # dates between 1970 and 2200: the adapter overflows past
                within_input_limits(field)
        return filterset


class ConfidentialSearchFilter(SearchFilter):
    """DRF's search, never matching on a confidential field the reader is not cleared for."""

    model = None

    def filter_queryset(self, request, queryset, view):
        self.model = queryset.model
        return super().filter_queryset(request, queryset, view)

    def get_search_fields(self, view, request):
        fields = super().get_search_fields(view, request) or []
        if self.model is None:
            return fields
        return confidential.readable_paths(self.model, fields, request.user)


class ConfidentialOrderingFilter(OrderingFilter):
    """DRF's ordering, never by a confidential field the reader is not cleared for (the order would tell)."""

    def get_valid_fields(self, queryset, view, context=None):
        fields = super().get_valid_fields(queryset, view, context or {})
        request = (context or {}).get("request") or getattr(view, "request", None)
        user = getattr(request, "user", None)
        return [(name, label) for name, label in fields if not confidential.path_withheld(queryset.model, name, user)]


# The filter backends every API list uses: django-filter, search and ordering, each honouring the declaration.
FILTER_BACKENDS = [ConfidentialFilterBackend, ConfidentialSearchFilter, ConfidentialOrderingFilter]
