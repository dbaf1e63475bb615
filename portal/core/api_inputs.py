"""The API's side of the input limits (`portal.core.inputs`): a JSON parser and serializer fields that refuse what
would otherwise end in a server error, with a 400 naming the field.

- `BoundedJSONParser` (the default parser, settings `REST_FRAMEWORK`): a body larger than
  `DATA_UPLOAD_MAX_MEMORY_SIZE`, nested more than 64 levels, with a number of more than 100 digits or beyond a float
  (1e999), NaN/Infinity, or a NUL character in any string or key is refused before any view sees it; a NUL is
  reported under the top-level field that carries it, with its path (`details.note`).
- `MomentField`, `DayField`: datetimes and dates between 1970-01-01 and 2200-12-31 (UTC), the range named.
- `BoundedJSONField`: the same limits for a JSON field sent as text (form data).

`install()` (run by the kernel's AppConfig) makes every ModelSerializer build these fields for model DateTimeField,
DateField and JSONField; serializers declaring a datetime or date field explicitly use `MomentField`/`DayField`.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser

from portal.core import inputs


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser within the limits of `portal.core.inputs.json_loads`: 400, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise exceptions.ParseError(f"JSON parse error - the body is larger than {limit:,} bytes.")
        try:
            return inputs.json_loads(raw)
        except inputs.JSONInputError as exc:
            if exc.path:
                field = exc.path.split(".")[0].split("[")[0]
                raise exceptions.ValidationError({field: [f"{exc.message}."]}) from None
            raise exceptions.ParseError(f"JSON parse error - {exc.message}.") from None


class MomentField(serializers.DateTimeField):
    """A datetime between 1970-01-01 and 2200-12-31 (UTC); outside it, a 400 naming the range."""

    def to_internal_value(self, value):
        # Checked before DRF converts to UTC (which overflows for 0001-01-01T00:00:00+14:00) and after (other
        # input formats); not on output, so a computed deadline just past 2200 still reads.
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        _check_range(parsed)
        moment = super().to_internal_value(value)
        _check_range(moment)
        return moment


def _check_range(moment) -> None:
    if isinstance(moment, datetime) and (problem := inputs.moment_out_of_range(moment)):
        raise serializers.ValidationError(f"The date {problem}.", code="out_of_range")


class DayField(serializers.DateField):
    """A date between 1970-01-01 and 2200-12-31."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if problem := inputs.date_out_of_range(day):
            raise serializers.ValidationError(f"The date {problem}.", code="out_of_range")
        return day


class BoundedJSONField(serializers.JSONField):
    """DRF's JSONField within the JSON limits, also when the value comes as text (form data); no NUL anywhere."""

    def to_internal_value(self, data):
        try:
            if (self.binary or getattr(data, "is_json_string", False)) and isinstance(data, str | bytes):
                return inputs.json_loads(data)
            if inputs.depth_beyond(data):
                raise inputs.JSONInputError(f"the JSON is nested more than {inputs.MAX_JSON_DEPTH} levels deep")
            if (where := inputs.nul_path(data)) is not None:
                raise inputs.JSONInputError(f"{inputs.NUL_MESSAGE}{f' (at {where})' if where else ''}")
        except inputs.JSONInputError as exc:
            raise serializers.ValidationError(f"{exc.message[:1].upper()}{exc.message[1:]}.") from None
        return super().to_internal_value(data)


def install() -> None:
    """Every ModelSerializer builds the bounded fields for the model's datetimes, dates and JSON."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[models.DateTimeField] = MomentField
    mapping[models.DateField] = DayField
    mapping[models.JSONField] = BoundedJSONField
