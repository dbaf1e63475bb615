"""Which tables are chained, and the canonical serialization and hash of a history row.

A row's hash is

    SHA-256( b"portal-history-chain/1\\n" + chain_prev + b"\\n" + canonical(row) )

where `chain_prev` is the hash of the row before it in the same table (ordered by the auto-increment history
id; "" for the first row) and `canonical(row)` is compact JSON with sorted keys of every concrete field of the
row except the id and the two chain fields, by attname, with values normalised so that what is written and what
SQLite or PostgreSQL give back serialise to the same bytes (datetimes as UTC ISO 8601 with microseconds, dates and
times in ISO 8601, decimals as fixed-point strings, durations in microseconds, JSON values canonical with sorted
keys, booleans, integers; a NULL is left out, so adding a nullable column keeps old hashes valid).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re

from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone

GENESIS = ""
CHAIN_FIELDS = ("chain_prev", "chain_hash")
HASH_DOMAIN = b"portal-history-chain/1\n"

_INTEGER_TYPES = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
})


# ---------------------------------------------------------------------------------------------------------------
# Which models are chained


def is_chained(model) -> bool:
    names = {f.name for f in model._meta.concrete_fields}
    return all(name in names for name in CHAIN_FIELDS)


def chained_models(apps=None) -> list:
    """Every chained history model (live models, or those of a migration state), ordered by label."""
    registry = apps or django_apps
    return sorted((m for m in registry.get_models() if is_chained(m)), key=lambda m: m._meta.label)


def history_model_of(model):
    """The chained history model meant by `model`: a chained model itself, a tracked model (its history table),
    or a label of either ("inventory.AISystem", "inventory.HistoricalAISystem")."""
    if isinstance(model, str):
        model = django_apps.get_model(model)
    if is_chained(model):
        return model
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    if attribute:
        history = getattr(model, attribute).model
        if is_chained(history):
            return history
    raise LookupError(f"{model._meta.label} has no chained history.")


def chains_of(model) -> list:
    """The chained tables of `model`: a tracked model gives its history table and its many-to-many snapshot
    tables; a history model gives itself."""
    if isinstance(model, str):
        model = django_apps.get_model(model)
    if is_chained(model):
        return [model]
    history = history_model_of(model)
    snapshots = [getattr(history, f.name).model for f in getattr(history, "_history_m2m_fields", ())]
    return [history, *[m for m in snapshots if is_chained(m)]]


def object_attname(model) -> str:
    """The column naming the tracked object on a row of `model`: the tracked model's primary key on a history
    row, the foreign key to the owning model on a many-to-many snapshot row."""
    tracked = getattr(model, "instance_type", None)
    names = {f.name for f in model._meta.concrete_fields}
    if tracked is not None and "history_date" in names:
        return tracked._meta.pk.attname
    if tracked is not None and "history" in names:
        owner = getattr(model._meta.get_field("history").related_model, "instance_type", None)
        for field in tracked._meta.concrete_fields:
            if field.is_relation and field.related_model is owner:
                return field.attname
    return "id"


# ---------------------------------------------------------------------------------------------------------------
# Canonical serialization and hashing

_field_cache: dict = {}


def hashed_fields(model) -> list:
    """The fields a row's hash covers: every concrete field except the primary key (the auto-increment history
    id) and the chain fields, ordered by attname."""
    fields = _field_cache.get(model)
    if fields is None:
        fields = sorted(
            (f for f in model._meta.concrete_fields if not f.primary_key and f.name not in CHAIN_FIELDS),
            key=lambda f: f.attname,
        )
        _field_cache[model] = fields
    return fields


def canonical_value(field, value):
    """`value` of `field` as a JSON-able value that is the same whether taken before the insert or read back."""
    if value is None:
        return None
    kind = field.get_internal_type()
    if field.is_relation and getattr(field, "target_field", None) is not None:
        return canonical_value(field.target_field, value)
    if kind in _INTEGER_TYPES:
        return int(value)
    if kind == "BooleanField":
        return bool(field.to_python(value))
    if kind == "DateTimeField":
        value = field.to_python(value)
        if timezone.is_naive(value):
            if not settings.USE_TZ:
                return value.isoformat(timespec="microseconds")
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if kind == "DateField":
        return field.to_python(value).isoformat()
    if kind == "TimeField":
        return field.to_python(value).isoformat(timespec="microseconds")
    if kind == "DecimalField":
        number = field.to_python(value)
        if field.decimal_places is not None:
            number = number.quantize(decimal.Decimal(1).scaleb(-field.decimal_places), rounding=decimal.ROUND_HALF_UP)
        return format(number, "f")
    if kind == "FloatField":
        return _canonical_float(float(value))
    if kind == "DurationField":
        return field.to_python(value) // dt.timedelta(microseconds=1)
    if kind == "UUIDField":
        return str(field.to_python(value))
    if kind == "BinaryField":
        return bytes(value).hex()
    if kind == "JSONField":
        text = json.dumps(value, cls=field.encoder)
        return _canonical_json(json.loads(text, cls=field.decoder))
    return str(field.to_python(value))


def _canonical_float(number: float):
    if number == 0:
        return 0.0  # PostgreSQL numerics have no negative zero
    if "e+" in repr(number):
        return int(decimal.Decimal(repr(number)))  # jsonb prints 1e+16 as 10000000000000000
    return number


def _canonical_json(value):
    if isinstance(value, dict):
        return {str(k): _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(v) for v in value]
    if isinstance(value, float):
        return _canonical_float(value)
    return value


def canonical_bytes(row) -> bytes:
    """The canonical serialization of a history row (see the module docstring); NULLs are left out."""
    return canonical_values_bytes(type(row), {f.attname: getattr(row, f.attname) for f in hashed_fields(type(row))})


def canonical_values_bytes(model, values: dict) -> bytes:
    """The canonical serialization of a row of `model` given as {attname: value} (every hashed field present)."""
    document = {}
    for field in hashed_fields(model):
        value = canonical_value(field, values[field.attname])
        if value is not None:
            document[field.attname] = value
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return text.encode("ascii")


def row_hash(row, prev: str) -> str:
    """The hash of `row` chained to `prev` (the previous row's hash, "" for the first row)."""
    return hashlib.sha256(HASH_DOMAIN + prev.encode("ascii") + b"\n" + canonical_bytes(row)).hexdigest()


def values_hash(model, values: dict, prev: str) -> str:
    """The hash of a row of `model` given as {attname: value}, chained to `prev`: the same as `row_hash` of the
    model instance with those values."""
    content = canonical_values_bytes(model, values)
    return hashlib.sha256(HASH_DOMAIN + prev.encode("ascii") + b"\n" + content).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# The same serialization for rows read back as tuples (verification): one converter per field, built once per
# model, for values as the database driver and the fields' `from_db_value` give them. It writes the same bytes as
# `canonical_values_bytes` (a test compares the two on every chained table); what it cannot convert faster it
# hands to `canonical_value`.

_reader_cache: dict = {}


def _fast_converter(field):
    """A function turning a value read from the database into its canonical value (None for NULL)."""
    kind = field.get_internal_type()
    if field.is_relation and getattr(field, "target_field", None) is not None:
        return _fast_converter(field.target_field)
    if kind in _INTEGER_TYPES:
        return lambda v: v if type(v) is int else None if v is None else int(v)
    if kind == "BooleanField":
        return lambda v: v if type(v) is bool else None if v is None else canonical_value(field, v)
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return lambda v: v if type(v) is str else None if v is None else canonical_value(field, v)
    if kind == "DateTimeField" and settings.USE_TZ:
        def datetime_value(v):
            if v is None:
                return None
            if type(v) is dt.datetime and v.tzinfo is not None:
                if v.utcoffset():
                    v = v.astimezone(dt.UTC)
                text = v.isoformat(timespec="microseconds")
                if text.endswith("+00:00"):
                    return text
            return canonical_value(field, v)
        return datetime_value
    if kind == "JSONField" and field.encoder is None and field.decoder is None:
        # Read back, the value is what `json.loads` gave: dumping and loading it again changes nothing.
        return lambda v: None if v is None else _canonical_json(v)
    return lambda v: None if v is None else canonical_value(field, v)


def _plain_type(field):
    """The Python type whose values `field` serializes as they are (str for text, int for integers), or None."""
    if field.is_relation and getattr(field, "target_field", None) is not None:
        return _plain_type(field.target_field)
    kind = field.get_internal_type()
    if kind in _INTEGER_TYPES:
        return "int"
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return "str"
    return None


def row_reader(model):
    """(columns, serialize): the attnames to read with `values_list` (the hashed fields, in order) and a function
    turning such a tuple into the row's canonical bytes, equal to `canonical_values_bytes` of the same values.

    `serialize` is generated once per table as straight-line code (no loop over the fields): a text or integer
    value of the expected type is taken as it is, anything else goes through the field's converter."""
    cached = _reader_cache.get(model)
    if cached is not None:
        return cached
    fields = hashed_fields(model)
    names = [f.attname for f in fields]
    serialize = _compile_serializer([(f.attname, _fast_converter(f), _plain_type(f)) for f in fields])
    cached = _reader_cache[model] = (names, serialize)
    return cached


def chained_hash(prev: str, content: bytes) -> str:
    """The hash of a row whose canonical bytes are `content`, chained to `prev`."""
    return hashlib.sha256(HASH_DOMAIN + prev.encode("ascii") + b"\n" + content).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# The same serialization for rows read straight from the database driver (full verification): no ORM iterator.
# Each value first goes through the conversions Django itself would apply to it (the backend's and the field's
# `from_db_value`), so the serializer sees what `values_list` gives, except where a cheaper conversion is proved to
# give the same canonical value: SQLite datetimes, stored as naive UTC text by Django, are rewritten as text.

_raw_cache: dict = {}

# Django stores a datetime on SQLite as `str()` of the naive UTC value: "YYYY-MM-DD HH:MM:SS[.ffffff]".
_SQLITE_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?")


def _sqlite_datetime(slow):
    """A SQLite datetime column's text as its canonical value: "YYYY-MM-DDTHH:MM:SS.ffffff+00:00", the same as
    parsing it as UTC and formatting it with `isoformat(timespec="microseconds")`; any other text is converted by
    `slow` (Django's conversions, then the canonical one)."""
    match = _SQLITE_DATETIME.fullmatch

    def convert(v):
        if type(v) is str and match(v):
            return f"{v[:10]}T{v[11:19]}{v[19:] or '.000000'}+00:00"
        return slow(v)
    return convert


def text_datetime(connection, field) -> bool:
    """Whether `raw_select` has PostgreSQL format `field` (a timestamp with time zone) as its canonical text."""
    return (connection.vendor == "postgresql" and settings.USE_TZ and not field.is_relation
            and field.get_internal_type() == "DateTimeField")


# PostgreSQL's `to_char` of the UTC time: 4-digit year (zero-padded, as `isoformat` pads it), 6-digit microseconds.
_PG_CANONICAL_DATETIME = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def raw_select(model, connection) -> list[str]:
    """The SQL expressions selecting the hashed columns for `raw_reader`'s serializer, in its order."""
    quote = connection.ops.quote_name
    return [_PG_CANONICAL_DATETIME.format(quote(f.column)) if text_datetime(connection, f) else quote(f.column)
            for f in hashed_fields(model)]


def raw_reader(model, connection):
    """(columns, serialize): the database columns of the hashed fields (in `row_reader` order) and a function
    turning a tuple of those columns, as the driver's cursor gives them on `connection`, into the row's canonical
    bytes: the same bytes as `row_reader`'s serializer of the `values_list` tuple of the same row."""
    key = (model, connection.vendor, connection.alias)
    cached = _raw_cache.get(key)
    if cached is not None:
        return cached
    fields = hashed_fields(model)
    utc = str(getattr(connection, "timezone", None) or "UTC") == "UTC"
    columns = []
    for field in fields:
        col = field.get_col(model._meta.db_table)  # what Django hands its converters as the expression
        django = list(connection.ops.get_db_converters(col))
        django += field.get_db_converters(connection)
        final = _fast_converter(field)
        plain = _plain_type(field)
        if text_datetime(connection, field):
            convert, plain = final, "str"  # selected as canonical text by `raw_select` (any other value: converted)
        elif django:
            def convert(v, django=django, col=col, final=final):
                for step in django:
                    v = step(v, col, connection)
                return None if v is None else final(v)
            if (connection.vendor == "sqlite" and settings.USE_TZ and utc and not field.is_relation
                    and field.get_internal_type() == "DateTimeField"):
                convert = _sqlite_datetime(convert)
            plain = None
        else:
            convert = final
        columns.append((field.attname, convert, plain))
    cached = _raw_cache[key] = ([f.column for f in fields], _compile_serializer(columns))
    return cached


def _compile_serializer(columns):
    """A function turning a tuple of values into canonical bytes, generated once for one table's hashed fields:
    `columns` is [(attname, converter, plain type name or None)] in tuple order; a value of the plain type is
    taken as it is, any other goes through the converter, and NULLs (before or after converting) are left out."""
    namespace = {"_encode": json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                                             default=str).encode, "str": str, "int": int, "type": type}
    lines = ["def serialize(values):", "    document = {}"]
    for index, (attname, convert, plain) in enumerate(columns):
        namespace[f"_c{index}"] = convert
        lines.append(f"    v = values[{index}]")
        lines.append("    if v is not None:")
        if plain:
            lines.append(f"        if type(v) is not {plain}:")
            lines.append(f"            v = _c{index}(v)")
        else:
            lines.append(f"        v = _c{index}(v)")
        lines.append("        if v is not None:")
        lines.append(f"            document[{attname!r}] = v")
    lines.append("    return _encode(document).encode('ascii')")
    exec("\n".join(lines), namespace)  # nosec B102  # noqa: S102  (code built from the model's own attnames, quoted by repr)
    return namespace["serialize"]
