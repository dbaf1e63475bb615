"""JSON parsing, JSON paths for messages and offline validation against the CycloneDX 1.6 schema.

The schema is the one bundled with cyclonedx-python-lib; its SPDX and JSF references resolve from the same bundle,
so validation never reaches the network.
"""

import json
import math
from collections.abc import Iterable
from functools import cache

from inventory.cyclonedx.errors import BomError

SPEC_VERSION = "1.6"
READABLE_SPEC_VERSIONS = ("1.4", "1.5", "1.6")
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"


# Limits of what a BOM may hold: no CycloneDX document nests this deep; the database stores no NUL character.
MAX_DEPTH = 64
_UTF8_BOM = b"\xef\xbb\xbf"
_SMALL = 1_000_000  # bytes: a syntax error in a document this small is located by line and column


class _Prefixed:
    """A binary file with `head` (bytes already read from it) put back in front."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(size)
        if size is None or size < 0:
            data, self.head = self.head + self.rest.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        return data if len(data) == size else data + self.rest.read(size - len(data))


def parse_json(source) -> dict:
    """Parse BOM text (bytes, str, or a binary file read as a stream: the text is never held whole).

    Refused, naming the JSON path: a syntax error (with its line and column where it can be told), a string or key
    with a NUL character, nesting deeper than MAX_DEPTH, a number too large for a 64-bit integer or a double.
    """
    import ijson

    if isinstance(source, str):
        source = source.encode("utf-8")
    if isinstance(source, bytes | bytearray):
        text, stream = bytes(source), None
        if text.startswith(_UTF8_BOM):
            text = text[len(_UTF8_BOM):]
        stream = _Prefixed(text, _Empty())
    else:
        text = None
        head = source.read(len(_UTF8_BOM))
        stream = _Prefixed(b"" if head == _UTF8_BOM else head, source)
    builder = _Builder()
    try:
        for event, value in ijson.basic_parse(stream, use_float=True):
            builder.event(event, value)
    except ijson.JSONError as exc:
        raise BomError(_syntax_message(exc, builder, text if text is not None else _small_text(source))) from None
    except UnicodeDecodeError as exc:
        raise BomError(f"not JSON: the file is not UTF-8 text ({exc.reason})") from None
    data = builder.value
    require_object(data)
    return data


def _small_text(source) -> bytes | None:
    """The whole text of a small seekable file (to tell where a syntax error is), else None."""
    try:
        source.seek(0)
        text = source.read(_SMALL + 1)
    except (AttributeError, OSError, ValueError):
        return None
    return text.removeprefix(_UTF8_BOM) if len(text) <= _SMALL else None


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""


def _syntax_message(exc, builder, text: bytes | None) -> str:
    reason = str(exc).splitlines()[0] if str(exc) else "incomplete document"
    if "integer overflow" in reason:
        return f"{builder.path()}: the number is too large (more than a 64-bit integer)"
    if "overflow" in reason:
        return f"{builder.path()}: the number is too large (more than a double)"
    if "invalid bytes in UTF8" in reason or "invalid UTF8" in reason.lower():
        return "not JSON: the file is not UTF-8 text"
    if text is not None and len(text) <= _SMALL:  # a small document: the standard parser can say where
        try:
            json.loads(text)
        except json.JSONDecodeError as decode_error:
            return f"not JSON: line {decode_error.lineno} column {decode_error.colno}: {decode_error.msg}"
        except (ValueError, RecursionError):
            pass
    return f"not JSON: {reason} (after {builder.path()})"


class _Builder:
    """Builds the document from parse events, checking each value where it stands (its JSON path is known)."""

    def __init__(self):
        self.stack: list = []  # open containers
        self.keys: list = []  # the key being filled in each open object (None in arrays)
        self.value = None

    def path(self) -> str:
        parts, innermost = [], len(self.stack) - 1
        for level, (container, key) in enumerate(zip(self.stack, self.keys, strict=True)):
            if isinstance(container, list):  # the open child was appended already; a value about to be is not
                parts.append(len(container) - 1 if level < innermost else len(container))
            elif key is not None:
                parts.append(key)
        return json_path(parts)

    def _put(self, value) -> None:
        if not self.stack:
            self.value = value
            return
        container = self.stack[-1]
        if isinstance(container, list):
            container.append(value)
        else:
            container[self.keys[-1]] = value

    def _open(self, container) -> None:
        if len(self.stack) >= MAX_DEPTH:
            where = self.path()
            where = where if len(where) <= 120 else where[:100] + "..."
            raise BomError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        self._put(container)
        self.stack.append(container)
        self.keys.append(None)

    def event(self, event: str, value) -> None:
        if event == "map_key":
            if "\x00" in value:
                raise BomError(f"{self.path()}: a key contains a NUL character (\\u0000), which cannot be stored")
            self.keys[-1] = value
        elif event == "string":
            if "\x00" in value:
                raise BomError(f"{self.path()}: contains a NUL character (\\u0000), which cannot be stored")
            self._put(value)
        elif event == "number":
            if isinstance(value, float) and not math.isfinite(value):
                raise BomError(f"{self.path()}: the number is out of range")
            self._put(value)
        elif event in ("boolean", "null"):
            self._put(value)
        elif event == "start_map":
            self._open({})
        elif event == "start_array":
            self._open([])
        else:  # end_map, end_array
            self.stack.pop()
            self.keys.pop()


def require_object(data) -> None:
    if not isinstance(data, dict):
        raise BomError(f"(document): a CycloneDX BOM is a JSON object, not {type(data).__name__}")


def json_path(parts: Iterable) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _schemas() -> tuple[dict, dict[str, dict]]:
    """The CycloneDX 1.6 schema and the SPDX and JSF schemas it refers to, by URL (from the bundled files)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON, JSF, SPDX_JSON

    prefix = "http://cyclonedx.org/schema/"
    return _load(BOM_JSON[SchemaVersion.V1_6]), {prefix + p.rsplit("/", 1)[-1]: _load(p) for p in (SPDX_JSON, JSF)}


@cache
def _validator():
    """A Draft-7 validator for the CycloneDX 1.6 schema, resolving its SPDX and JSF references offline. Slow (tens
    of milliseconds per component): it only words the errors `_fast_validator` found."""
    from jsonschema import Draft7Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    schema, references = _schemas()
    registry = Registry().with_resources([(url, DRAFT7.create_resource(doc)) for url, doc in references.items()])
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@cache
def _fast_validator():
    """The same schema, compiled by jsonschema-rs (a few microseconds per component), formats checked; references
    are served from the bundle, never fetched."""
    import jsonschema_rs

    schema, references = _schemas()

    def retrieve(uri: str):
        if uri not in references:
            raise ValueError(f"{uri} is not bundled; schemas are never fetched")
        return references[uri]

    return jsonschema_rs.Draft7Validator(schema, retriever=retrieve, validate_formats=True)


def _schema_message(error) -> str:
    if error.validator == "enum" and list(error.absolute_path)[-2:] == ["license", "id"]:
        return f"{error.instance!r} is not an SPDX license identifier (other licenses go in license.name)"
    if error.validator == "enum" and len(error.validator_value) > 20:
        return f"{error.instance!r} is not one of the {len(error.validator_value)} allowed values"
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."


# At most this many top-level array items with errors are worded by the slow validator.
_WORDED_ITEMS = 20


def validate_bom(bom) -> None:
    """Raise BomError naming the path and rule of the most relevant schema error (and how many more there are).

    jsonschema-rs checks the whole document (fast); only when it finds errors does the Python validator word them,
    over the document reduced to the top-level array items that hold errors (so a large BOM with one bad component
    costs one component's slow validation, and paths still name the item's place in the whole document).
    """
    require_object(bom)
    fast = _fast_validator()
    if fast.is_valid(bom):
        return
    flagged: dict[str, set[int]] = {}
    whole: set[str] = set()  # top-level keys with an error on the key itself (e.g. uniqueItems): kept whole
    for error in fast.iter_errors(bom):
        path = list(error.instance_path)
        if len(path) >= 2 and isinstance(bom.get(path[0]), list) and isinstance(path[1], int):
            flagged.setdefault(path[0], set()).add(path[1])
        elif path:
            whole.add(path[0])
    reduced, positions = dict(bom), {}
    for key, value in bom.items():
        if key in whole or not isinstance(value, list):
            continue
        kept = sorted(flagged.get(key, ()))[:_WORDED_ITEMS]  # no top-level array has a minItems
        reduced[key] = [value[i] for i in kept]
        positions[key] = kept
    _raise_best(reduced, positions, extra=sum(max(0, len(i) - _WORDED_ITEMS) for i in flagged.values()))


def _raise_best(document: dict, positions: dict[str, list[int]], extra: int) -> None:
    from jsonschema.exceptions import best_match

    def located(error) -> str:
        path = list(error.absolute_path)
        if len(path) >= 2 and path[0] in positions and isinstance(path[1], int):
            path[1] = positions[path[0]][path[1]]
        return json_path(path)

    errors = list(_validator().iter_errors(document))
    if not errors:  # the two validators disagree; say what the fast one found
        error = next(iter(_fast_validator().iter_errors(document)), None)
        where = json_path(error.instance_path) if error else "(document)"
        raise BomError(f"{where}: {error.message if error else 'does not match the CycloneDX 1.6 schema'}")
    best = best_match(errors)
    message = f"{located(best)}: {_schema_message(best)}"
    more = len(errors) - 1 + extra
    if more:
        message += f" (and {more} more schema error{'s' if more > 1 else ''})"
    raise BomError(message)
