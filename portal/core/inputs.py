"""What any input may carry, checked in one place: moments within a sane range, no NUL characters, and JSON of
bounded depth, size and number length.

Pure functions (no ORM), used by the API's parser and fields (`portal.core.api_inputs`), the admin forms
(`portal.core.forms`), the services that take input from outside (alert intake), the regulatory clock's facts
parser and the commands that read JSON files. Each refusal names what it refuses and the limit, so the caller can
put it under the field (API 400, form error) or on the command's one error line.

- Moments (aware datetimes) and dates lie between 1970-01-01 and 2200-12-31 (UTC): deadline arithmetic on them
  (business days, months, a year's end) then never leaves what Python's datetime can hold.
- Text never carries a NUL character (U+0000): PostgreSQL can store it neither in text nor in jsonb.
- JSON is nested at most `MAX_JSON_DEPTH` levels, its numbers have at most `MAX_NUMBER_DIGITS` digits and are
  finite (no 1e999, NaN or Infinity).
"""

import json
import math
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MOMENT_MIN = datetime(1970, 1, 1, tzinfo=UTC)
MOMENT_MAX = datetime.combine(date(2200, 12, 31), time.max, tzinfo=UTC)
MOMENT_RANGE = "1970-01-01 and 2200-12-31 (UTC)"

MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 100
NUL = "\x00"
# Codes people use for countries that ISO 3166-1 names otherwise: the EU's own abbreviations for the United Kingdom
# and Greece (Interinstitutional Style Guide, 7.1). Left unexplained they silently drop UK GDPR or the GDPR.
ISO_3166_HINTS = {"UK": "GB", "EL": "GR"}
NUL_MESSAGE = "NUL characters (\\u0000) are not allowed"


# --- moments and dates ---------------------------------------------------------------------------------------------

def iso_3166_hint(code: str) -> str:
    """"; use GB (ISO 3166-1 has no UK)" for a code whose country part people commonly mistake, else ""."""
    country, _, rest = str(code).partition("-")
    if country in ISO_3166_HINTS:
        return f"; use {ISO_3166_HINTS[country] + (f'-{rest}' if rest else '')} (ISO 3166-1 has no {country})"
    return ""


def unknown_jurisdictions(codes) -> str:
    """The error for jurisdiction codes the reference table does not hold, with a hint where one helps."""
    return "Unknown jurisdiction codes: " + ", ".join(f"{code}{iso_3166_hint(code)}" for code in codes) + "."


def moment_out_of_range(value: datetime) -> str | None:
    """Why `value` is outside the sane range, or None. A naive value is read as UTC. Never overflows, even for
    year 1 with a +14:00 offset or year 9999 with -12:00."""
    local = value.replace(tzinfo=None)
    if MOMENT_MIN.year - 1 <= local.year <= MOMENT_MAX.year + 1:
        moment = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if MOMENT_MIN <= moment <= MOMENT_MAX:
            return None
    return f"must be between {MOMENT_RANGE}; {_text(value)} is not"


def date_out_of_range(value: date) -> str | None:
    """Why the calendar date `value` is outside the sane range, or None."""
    if MOMENT_MIN.date() <= value <= MOMENT_MAX.date():
        return None
    return f"must be between {MOMENT_RANGE}; {value.isoformat()} is not"


def check_moments(**values) -> None:
    """For services: raise a ValidationError naming every datetime or date among `values` outside the range."""
    errors = {}
    for name, value in values.items():
        if isinstance(value, datetime):
            problem = moment_out_of_range(value)
        elif isinstance(value, date):
            problem = date_out_of_range(value)
        else:
            continue
        if problem:
            errors[name] = ValidationError(f"The date {problem}.", code="out_of_range")
    if errors:
        raise ValidationError(errors)


def _text(value: datetime) -> str:
    try:
        return value.isoformat()
    except (ValueError, OverflowError):  # pragma: no cover - isoformat of a valid datetime does not fail
        return repr(value)


@deconstructible
class MomentRangeValidator:
    """A validator (forms, serializers, model fields) refusing datetimes and dates outside the sane range."""

    code = "out_of_range"

    def __call__(self, value):
        if isinstance(value, datetime):
            problem = moment_out_of_range(value)
        elif isinstance(value, date):
            problem = date_out_of_range(value)
        else:
            return
        if problem:
            raise ValidationError(f"The date {problem}.", code=self.code)


validate_moment_range = MomentRangeValidator()


# --- NUL characters ------------------------------------------------------------------------------------------------

def nul_path(value: Any, path: str = "") -> str | None:
    """Where the first NUL character is in `value` (a string, or JSON-like lists and dicts, keys included): a path
    such as `details.steps[2]`, `path` itself for a string, or None when there is none. Iterative: any depth."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return where
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                child_path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and NUL in key:
                    return child_path.replace(NUL, "\\u0000")
                stack.append((child, child_path))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{index}]") for index, child in reversed(list(enumerate(item))))
    return None


def validate_no_nul(value) -> None:
    """A validator refusing a value (text or JSON) with a NUL character, naming where it is inside JSON."""
    where = nul_path(value)
    if where is not None:
        raise ValidationError(f"{NUL_MESSAGE}{f' (at {where})' if where else ''}.", code="null_characters_not_allowed")


# --- JSON ----------------------------------------------------------------------------------------------------------

class JSONInputError(ValueError):
    """JSON that is malformed or beyond the limits; `path` names where, when known (e.g. `details.note`)."""

    def __init__(self, message: str, path: str | None = None):
        self.message, self.path = message, path
        super().__init__(message)


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise JSONInputError(f"a number has {len(text.lstrip('-')):,} digits; at most {MAX_NUMBER_DIGITS} are "
                             "allowed")
    return int(text)


def _float(text: str) -> float:
    number = float(text) if len(text) <= MAX_NUMBER_DIGITS * 2 else math.inf
    if not math.isfinite(number):
        raise JSONInputError(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is too large (or too long)")
    return number


def _constant(text: str):
    raise JSONInputError(f"{text} is not a JSON number")


def depth_beyond(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when lists and objects in `value` are nested more than `limit` levels deep. Iterative."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _object(pairs: list) -> dict:
    """A JSON object whose keys are all different: a repeated key is ambiguous (parsers disagree on which value
    wins), so it is refused rather than silently resolved."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise JSONInputError(f"the key {repeated[:60]!r} appears twice in one object", path=repeated[:60])
    return value


def json_loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int | None = None,
               allow_nul: bool = False) -> Any:
    """`json.loads` within the limits: raise `JSONInputError` (a ValueError) saying what is wrong, never
    RecursionError or an integer-conversion error. NUL characters in strings or keys are refused unless
    `allow_nul`. An object naming a key twice is refused."""
    if max_bytes is not None and len(text) > max_bytes:
        raise JSONInputError(f"the JSON is larger than {max_bytes:,} bytes")
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"the JSON is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    too_deep = f"the JSON is nested more than {max_depth} levels deep"
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=_object)
    except RecursionError:
        raise JSONInputError(too_deep) from None
    except JSONInputError:
        raise
    except ValueError as exc:  # json.JSONDecodeError included
        raise JSONInputError(f"not valid JSON: {exc}") from None
    if depth_beyond(value, max_depth):
        raise JSONInputError(too_deep)
    if not allow_nul and (where := nul_path(value)) is not None:
        raise JSONInputError(f"{NUL_MESSAGE}{f' (at {where})' if where else ''}", path=where)
    return value
