"""CycloneDX 1.6 ML-BOM <-> the AI inventory: offline schema validation and the mapping of BOM components.

Pure code: it reads and builds dicts and never touches the database (`inventory/services/aibom.py` does the writes).

    errors      BomError, the one error every module raises
    schema      parse_json, json_path, validate_bom (CycloneDX 1.6 JSON schema, offline)
    bom         BomSystem, BomComponent, ParsedBom: a BOM in inventory terms
    licenses    our license string <-> CycloneDX licenses
    mapping     kinds <-> component types, `aiir:` properties, one component <-> one CycloneDX component
    document    read_bom (a whole BOM, with dependency and cycle checks) and build_bom

Import from the package (`from inventory.cyclonedx import read_bom`); the modules are its layout, not its API.
"""

from inventory.cyclonedx.bom import BomComponent, BomSystem, ParsedBom
from inventory.cyclonedx.document import TOOL_NAME, build_bom, find_cycle, read_bom
from inventory.cyclonedx.errors import BomError
from inventory.cyclonedx.licenses import license_from_cdx, license_to_cdx
from inventory.cyclonedx.mapping import (
    FIELD_LOCATIONS,
    KIND_TO_TYPE,
    TYPE_TO_KIND,
    Prop,
    component_from_cdx,
    component_to_cdx,
    default_kind,
)
from inventory.cyclonedx.schema import (
    READABLE_SPEC_VERSIONS,
    SCHEMA_URL,
    SPEC_VERSION,
    json_path,
    parse_json,
    validate_bom,
)

__all__ = [
    "FIELD_LOCATIONS",
    "KIND_TO_TYPE",
    "READABLE_SPEC_VERSIONS",
    "SCHEMA_URL",
    "SPEC_VERSION",
    "TOOL_NAME",
    "TYPE_TO_KIND",
    "BomComponent",
    "BomError",
    "BomSystem",
    "ParsedBom",
    "Prop",
    "build_bom",
    "component_from_cdx",
    "component_to_cdx",
    "default_kind",
    "find_cycle",
    "json_path",
    "license_from_cdx",
    "license_to_cdx",
    "parse_json",
    "read_bom",
    "validate_bom",
]
