"""JSON parsing, JSON paths for messages and offline validation against the CycloneDX 1.6 schema.

The schema is the one bundled with cyclonedx-python-lib; its SPDX and JSF references resolve from the same bundle,
so validation never reaches the network.
"""

import json
from collections.abc import Iterable
from functools import cache

from inventory.cyclonedx.errors import BomError

SPEC_VERSION = "1.6"
READABLE_SPEC_VERSIONS = ("1.4", "1.5", "1.6")
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"


def parse_json(text: str | bytes) -> dict:
    """Parse BOM text; a syntax error names its line and column."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BomError(f"not JSON: the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BomError(f"not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    require_object(data)
    return data


def require_object(data) -> None:
    if not isinstance(data, dict):
        raise BomError(f"(document): a CycloneDX BOM is a JSON object, not {type(data).__name__}")


def json_path(parts: Iterable) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@cache
def _validator():
    """A Draft-7 validator for the CycloneDX 1.6 schema, resolving its SPDX and JSF references offline."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON, JSF, SPDX_JSON
    from jsonschema import Draft7Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    def load(path):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)

    prefix = "http://cyclonedx.org/schema/"
    registry = Registry().with_resources(
        [(prefix + path.rsplit("/", 1)[-1], DRAFT7.create_resource(load(path))) for path in (SPDX_JSON, JSF)]
    )
    return Draft7Validator(
        load(BOM_JSON[SchemaVersion.V1_6]), registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER
    )


def _schema_message(error) -> str:
    if error.validator == "enum" and list(error.absolute_path)[-2:] == ["license", "id"]:
        return f"{error.instance!r} is not an SPDX license identifier (other licenses go in license.name)"
    if error.validator == "enum" and len(error.validator_value) > 20:
        return f"{error.instance!r} is not one of the {len(error.validator_value)} allowed values"
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."


def validate_bom(bom) -> None:
    """Raise BomError naming the path and rule of the most relevant schema error (and how many more there are)."""
    from jsonschema.exceptions import best_match

    require_object(bom)
    errors = list(_validator().iter_errors(bom))
    if not errors:
        return
    best = best_match(errors)
    message = f"{json_path(best.absolute_path)}: {_schema_message(best)}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more schema error{'s' if len(errors) > 2 else ''})"
    raise BomError(message)
