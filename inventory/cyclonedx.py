"""CycloneDX 1.6 ML-BOM <-> the AI inventory: offline schema validation and the mapping of BOM components.

Pure code: it reads and builds dicts and never touches the database (`services/aibom.py` does the writes).

Reading (`read_bom`) validates a BOM against the CycloneDX 1.6 JSON schema bundled with cyclonedx-python-lib (no
network), flattens nested components and services, maps each to a `BomComponent` and checks what the schema
cannot: unique bom-refs, one component per (kind, group, name, version), dependency refs that name a component,
hashes our model accepts, no dependency or derived-from cycle. Building (`build_bom`) is the reverse.

Component type <-> our kind (`aiir:kind` carries the kind wherever the type alone would read back differently):

    model                                   machine-learning-model
    dataset, vector_store, prompt           data                      (data -> dataset)
    library                                 library                   (framework, file, firmware, ... -> library)
    credential                              cryptographic-asset       (related crypto material: credential)
    tool, agent, guardrail, endpoint,       application               (application, container, platform,
    service                                                            device, CycloneDX services -> service)

Licenses: our single `license` string is exported as `{"license": {"id"}}` when it is an SPDX identifier, as
`{"expression"}` when it is an SPDX expression, otherwise as `{"license": {"name"}}`; each reads back to the same
string. Several licenses in one BOM component are joined (" AND " when all are SPDX ids, otherwise ", ").

Our own fields travel as CycloneDX `properties` whose names start with `aiir:` (see `Prop`). Unknown `aiir:`
names are ignored so that BOMs written by a newer portal still read.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from uuid import uuid4

from django.core.exceptions import ValidationError

from inventory.models import ComponentKind, ComponentStatus, DependencyRelation, validate_hashes

SPEC_VERSION = "1.6"
READABLE_SPEC_VERSIONS = ("1.4", "1.5", "1.6")
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
TOOL_NAME = "AI incident governance portal"


class Prop:
    """Names of the `aiir:` properties carried on BOM components."""

    KIND = "aiir:kind"  # a ComponentKind value
    KNOWN_GOOD = "aiir:known_good"  # "true" / "false"
    DISABLEABLE = "aiir:disableable"  # "true" / "false"
    DISABLE_PROCEDURE = "aiir:disable_procedure"
    STATUS = "aiir:status"  # a ComponentStatus value
    DERIVED_FROM = "aiir:derived_from"  # bom-ref of the component this one is a fine-tune / new version of
    USAGE = "aiir:usage"  # how the AI system uses the component (SystemComponent.usage)
    IS_ACTIVE = "aiir:is_active"  # "true" / "false" (SystemComponent.is_active)
    RELATION = "aiir:relation"  # "<relation> <bom-ref>": the kind of a dependency edge other than depends_on

    SINGLE = (KIND, KNOWN_GOOD, DISABLEABLE, DISABLE_PROCEDURE, STATUS, DERIVED_FROM, USAGE, IS_ACTIVE)


KIND_TO_TYPE = {
    ComponentKind.MODEL: "machine-learning-model",
    ComponentKind.DATASET: "data",
    ComponentKind.VECTOR_STORE: "data",
    ComponentKind.PROMPT: "data",
    ComponentKind.LIBRARY: "library",
    ComponentKind.CREDENTIAL: "cryptographic-asset",
    ComponentKind.TOOL: "application",
    ComponentKind.AGENT: "application",
    ComponentKind.GUARDRAIL: "application",
    ComponentKind.ENDPOINT: "application",
    ComponentKind.SERVICE: "application",
}

TYPE_TO_KIND = {
    "machine-learning-model": ComponentKind.MODEL,
    "data": ComponentKind.DATASET,
    "library": ComponentKind.LIBRARY,
    "framework": ComponentKind.LIBRARY,
    "file": ComponentKind.LIBRARY,
    "firmware": ComponentKind.LIBRARY,
    "device-driver": ComponentKind.LIBRARY,
    "operating-system": ComponentKind.LIBRARY,
    "cryptographic-asset": ComponentKind.CREDENTIAL,
    "application": ComponentKind.SERVICE,
    "container": ComponentKind.SERVICE,
    "platform": ComponentKind.SERVICE,
    "device": ComponentKind.SERVICE,
}

# Where each Component field lives in a BOM component, for error messages.
FIELD_LOCATIONS = {
    "kind": "type",
    "name": "name",
    "group": "group",
    "version": "version",
    "description": "description",
    "supplier": "supplier.name",
    "license": "licenses",
    "purl": "purl",
    "external_url": "externalReferences",
    "hashes": "hashes",
    "bom_ref": "bom-ref",
    "known_good": f"properties[{Prop.KNOWN_GOOD}]",
    "disableable": f"properties[{Prop.DISABLEABLE}]",
    "disable_procedure": f"properties[{Prop.DISABLE_PROCEDURE}]",
    "status": f"properties[{Prop.STATUS}]",
    "derived_from": f"properties[{Prop.DERIVED_FROM}]",
}


class BomError(ValueError):
    """A BOM we cannot read or import. The message names the JSON path and the rule."""


@dataclass
class BomSystem:
    """The AI system a BOM describes (its `metadata.component`)."""

    ref: str
    name: str
    description: str = ""


@dataclass
class BomComponent:
    """One BOM component in inventory terms.

    `fields` holds Component field values besides the identity (kind, group, name, version); on reading, only those
    the BOM states, so that an import does not blank what a BOM leaves out. `usage` / `is_active` describe the AI
    system's use of the component (None: not stated, or not used directly by the system).
    """

    ref: str
    kind: str
    name: str
    group: str = ""
    version: str = ""
    fields: dict = field(default_factory=dict)
    derived_from: str = ""
    usage: str | None = None
    is_active: bool | None = None
    path: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.kind, self.group, self.name, self.version)


@dataclass
class ParsedBom:
    system: BomSystem | None
    components: list[BomComponent]
    # refs of the components the system uses directly; None when the BOM has no dependency entry for the system
    uses: list[str] | None
    # component ref -> {depends-on ref: relation, None when the BOM does not state one}
    dependencies: dict[str, dict[str, str | None]]
    # (component ref, depends-on ref) -> where the edge is declared, for error messages
    dependency_paths: dict[tuple[str, str], str]
    serial_number: str = ""

    def by_ref(self) -> dict[str, BomComponent]:
        return {c.ref: c for c in self.components if c.ref}

    def creation_order(self) -> list[BomComponent]:
        """Components so that each comes after the one it is derived from (no derived-from cycle: checked)."""
        refs = self.by_ref()
        ordered, seen = [], set()

        def visit(component):
            if id(component) in seen:
                return
            seen.add(id(component))
            if component.derived_from:
                visit(refs[component.derived_from])
            ordered.append(component)

        for component in self.components:
            visit(component)
        return ordered


# --- JSON and schema ---------------------------------------------------------------------------------------------

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
    _require_object(data)
    return data


def _require_object(data) -> None:
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

    _require_object(bom)
    errors = list(_validator().iter_errors(bom))
    if not errors:
        return
    best = best_match(errors)
    message = f"{json_path(best.absolute_path)}: {_schema_message(best)}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more schema error{'s' if len(errors) > 2 else ''})"
    raise BomError(message)


# --- licenses ----------------------------------------------------------------------------------------------------

_LICENSE_REF = re.compile(r"(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")


def _spdx():
    from cyclonedx import spdx

    return spdx


def _is_spdx_expression(value: str) -> bool:
    spdx = _spdx()
    if not value.strip() or value != value.strip():
        return False
    # license-expression does not know LicenseRef-* symbols; SPDX allows them anywhere an id may stand.
    return spdx.is_expression(_LICENSE_REF.sub("MIT", value))


def license_to_cdx(value: str) -> list[dict]:
    if _spdx().is_supported_id(value):
        return [{"license": {"id": value}}]
    if _is_spdx_expression(value):
        return [{"expression": value}]
    return [{"license": {"name": value}}]


def license_from_cdx(licenses: list[dict]) -> str:
    values, all_ids = [], True
    for choice in licenses:
        if "expression" in choice:
            values.append(choice["expression"])
            all_ids = all_ids and len(licenses) == 1
        else:
            entry = choice["license"]
            values.append(entry.get("id") or entry.get("name", ""))
            all_ids = all_ids and "id" in entry
    return (" AND " if all_ids else ", ").join(v for v in values if v)


# --- one component -----------------------------------------------------------------------------------------------

def default_kind(cdx_type: str | None) -> str:
    """Our kind for a CycloneDX component type (None: a CycloneDX service)."""
    return str(TYPE_TO_KIND.get(cdx_type, ComponentKind.SERVICE) if cdx_type else ComponentKind.SERVICE)


def _bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise BomError(f"{where}: must be 'true' or 'false', not {value!r}")
    return lowered == "true"


def _choice(value: str, allowed: Iterable[str], where: str) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise BomError(f"{where}: {value!r} is not one of {allowed}")
    return value


def _aiir_properties(properties: list[dict], path: str) -> tuple[dict, list[tuple[str, str, str]]]:
    """The single-valued `aiir:` properties by name, and the relations as (relation, ref, where)."""
    single, relations, seen_at = {}, [], {}
    for i, prop in enumerate(properties):
        name, value, where = prop["name"], prop.get("value", ""), f"{path}.properties[{i}] ({prop['name']})"
        if name in Prop.SINGLE:
            if name in seen_at:
                raise BomError(f"{where}: {name} appears twice (first at {seen_at[name]})")
            seen_at[name] = f"{path}.properties[{i}]"
            single[name] = (value, where)
        elif name == Prop.RELATION:
            relation, _, ref = value.strip().partition(" ")
            _choice(relation, DependencyRelation.values, where)
            if not ref.strip():
                raise BomError(f"{where}: write '<relation> <bom-ref>', e.g. 'trained_on dataset-1'")
            relations.append((relation, ref.strip(), where))
    return single, relations


def _external_url(item: dict) -> str | None:
    references = item.get("externalReferences") or []
    for wanted in ("distribution", "website"):
        for reference in references:
            url = reference.get("url", "")
            if reference.get("type") == wanted and url.startswith(("http://", "https://")):
                return url
    for endpoint in item.get("endpoints") or []:  # a CycloneDX service
        if endpoint.startswith(("http://", "https://")):
            return endpoint
    return None


def _supplier(item: dict, is_service: bool) -> str | None:
    for key in ("provider",) if is_service else ("supplier", "manufacturer"):
        name = (item.get(key) or {}).get("name")
        if name:
            return name
    return None if is_service else item.get("publisher")


def component_from_cdx(item: dict, path: str, *, is_service: bool = False):
    """Map one (schema-valid) CycloneDX component or service; returns (BomComponent, relations)."""
    single, relations = _aiir_properties(item.get("properties") or [], path)
    if Prop.KIND in single:
        value, where = single[Prop.KIND]
        kind = _choice(value, ComponentKind.values, where)
    else:
        kind = default_kind(None if is_service else item["type"])
    fields = {}
    for key in ("description", "purl"):
        if key in item:
            fields[key] = item[key]
    if "bom-ref" in item:
        fields["bom_ref"] = item["bom-ref"]
    supplier = _supplier(item, is_service)
    if supplier is not None:
        fields["supplier"] = supplier
    if item.get("licenses"):
        fields["license"] = license_from_cdx(item["licenses"])
    url = _external_url(item)
    if url is not None:
        fields["external_url"] = url
    if "hashes" in item:
        for i, entry in enumerate(item["hashes"]):
            try:
                validate_hashes([entry])
            except ValidationError as exc:
                raise BomError(f"{path}.hashes[{i}]: {exc.messages[0].removeprefix('Hash 1: ')}") from exc
        fields["hashes"] = [{"alg": h["alg"], "content": h["content"]} for h in item["hashes"]]
    for prop, name in ((Prop.KNOWN_GOOD, "known_good"), (Prop.DISABLEABLE, "disableable")):
        if prop in single:
            fields[name] = _bool(*single[prop])
    if Prop.DISABLE_PROCEDURE in single:
        fields["disable_procedure"] = single[Prop.DISABLE_PROCEDURE][0]
    if Prop.STATUS in single:
        value, where = single[Prop.STATUS]
        fields["status"] = _choice(value, ComponentStatus.values, where)
    component = BomComponent(
        ref=item.get("bom-ref", ""),
        kind=kind,
        name=item["name"],
        group=item.get("group", ""),
        version=item.get("version", ""),
        fields=fields,
        derived_from=single.get(Prop.DERIVED_FROM, ("", ""))[0].strip(),
        usage=single[Prop.USAGE][0] if Prop.USAGE in single else None,
        is_active=_bool(*single[Prop.IS_ACTIVE]) if Prop.IS_ACTIVE in single else None,
        path=path,
    )
    return component, relations


def component_to_cdx(component: BomComponent, relations: dict[str, str] | None = None) -> dict:
    """One CycloneDX 1.6 component; `relations` maps depends-on refs to their relation (non-default ones travel)."""
    f = component.fields
    cdx_type = KIND_TO_TYPE[component.kind]
    item = {"type": cdx_type, "bom-ref": component.ref}
    if f.get("supplier"):
        item["supplier"] = {"name": f["supplier"]}
    if component.group:
        item["group"] = component.group
    item["name"] = component.name
    if component.version:
        item["version"] = component.version
    if f.get("description"):
        item["description"] = f["description"]
    if f.get("hashes"):
        item["hashes"] = [{"alg": h["alg"], "content": h["content"]} for h in f["hashes"]]
    if f.get("license"):
        item["licenses"] = license_to_cdx(f["license"])
    if f.get("purl"):
        item["purl"] = f["purl"]
    if f.get("external_url"):
        item["externalReferences"] = [{"type": "distribution", "url": f["external_url"]}]
    if component.kind == ComponentKind.CREDENTIAL:
        item["cryptoProperties"] = {
            "assetType": "related-crypto-material",
            "relatedCryptoMaterialProperties": {"type": "credential"},
        }
    properties = []
    if default_kind(cdx_type) != component.kind:
        properties.append((Prop.KIND, component.kind))
    properties.append((Prop.KNOWN_GOOD, _text(f.get("known_good", False))))
    properties.append((Prop.DISABLEABLE, _text(f.get("disableable", False))))
    if f.get("disable_procedure"):
        properties.append((Prop.DISABLE_PROCEDURE, f["disable_procedure"]))
    properties.append((Prop.STATUS, f.get("status") or ComponentStatus.ACTIVE))
    if component.derived_from:
        properties.append((Prop.DERIVED_FROM, component.derived_from))
    if component.usage:
        properties.append((Prop.USAGE, component.usage))
    if component.is_active is not None:
        properties.append((Prop.IS_ACTIVE, _text(component.is_active)))
    for ref, relation in (relations or {}).items():
        if relation and relation != DependencyRelation.DEPENDS_ON:
            properties.append((Prop.RELATION, f"{relation} {ref}"))
    item["properties"] = [{"name": name, "value": str(value)} for name, value in properties]
    return item


def _text(value: bool) -> str:
    return "true" if value else "false"


# --- whole BOM ---------------------------------------------------------------------------------------------------

def _flatten(items: list[dict], path: str, *, is_service: bool = False):
    """(item, path, is_service) for each component or service, nested ones after their parent."""
    nested_key = "services" if is_service else "components"
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        yield item, here, is_service
        yield from _flatten(item.get(nested_key) or [], f"{here}.{nested_key}", is_service=is_service)


def read_bom(bom) -> ParsedBom:
    """Validate a BOM (schema, then our own rules) and map it to inventory terms. Raises BomError."""
    _require_object(bom)
    spec = bom.get("specVersion")
    if isinstance(spec, str) and spec not in READABLE_SPEC_VERSIONS:
        raise BomError(
            f"specVersion: {spec!r} is not supported; this portal reads CycloneDX "
            f"{', '.join(READABLE_SPEC_VERSIONS)} (validated against the {SPEC_VERSION} schema)"
        )
    validate_bom(bom)

    root = (bom.get("metadata") or {}).get("component")
    system = None
    items = []
    if root:
        system = BomSystem(ref=root.get("bom-ref", ""), name=root["name"], description=root.get("description", ""))
        items += _flatten(root.get("components") or [], "metadata.component.components")
    items += _flatten(bom.get("components") or [], "components")
    items += _flatten(bom.get("services") or [], "services", is_service=True)

    components, relations, ref_paths, identities = [], [], {}, {}
    if system and system.ref:
        ref_paths[system.ref] = "metadata.component"
    for item, path, is_service in items:
        component, declared = component_from_cdx(item, path, is_service=is_service)
        if component.ref:
            if component.ref in ref_paths:
                raise BomError(f"{path}.bom-ref {component.ref!r} is already used by {ref_paths[component.ref]}")
            ref_paths[component.ref] = path
        if component.identity in identities:
            raise BomError(
                f"{path}: same kind, group, name and version as {identities[component.identity]} "
                f"({component.kind} {component.name!r} {component.version!r})"
            )
        identities[component.identity] = path
        components.append(component)
        relations += [(component, *r) for r in declared]

    refs = {c.ref: c for c in components if c.ref}
    uses, dependencies, dependency_paths = _read_dependencies(bom, system, refs)

    for component, relation, ref, where in relations:
        if ref not in dependencies.get(component.ref, {}):
            raise BomError(f"{where}: {ref!r} is not in the dependsOn of {component.ref or component.path}")
        dependencies[component.ref][ref] = relation
    for component in components:
        if component.derived_from and component.derived_from not in refs:
            raise BomError(
                f"{component.path}.properties ({Prop.DERIVED_FROM}): {component.derived_from!r} names no component"
            )
    _refuse_cycles({c.ref: {c.derived_from: None} for c in components if c.derived_from}, "derived-from")
    _refuse_cycles(dependencies, "dependency")
    return ParsedBom(system=system, components=components, uses=uses, dependencies=dependencies,
                     dependency_paths=dependency_paths, serial_number=bom.get("serialNumber", ""))


def _read_dependencies(bom, system, refs):
    uses = None
    dependencies: dict[str, dict[str, str | None]] = {}
    paths: dict[tuple[str, str], str] = {}
    system_ref = system.ref if system else None
    for i, entry in enumerate(bom.get("dependencies") or []):
        ref, where = entry["ref"], f"dependencies[{i}]"
        is_system = bool(system_ref) and ref == system_ref
        if not is_system and ref not in refs:
            raise BomError(f"{where}.ref {ref!r} names no component")
        targets = []
        for j, target in enumerate(entry.get("dependsOn") or []):
            at = f"{where}.dependsOn[{j}]"
            if system_ref and target == system_ref:
                raise BomError(f"{at} {target!r} is the AI system itself, not a component")
            if target not in refs:
                raise BomError(f"{at} {target!r} names no component")
            if target == ref:
                raise BomError(f"{at} {target!r}: a component cannot depend on itself")
            targets.append(target)
            paths.setdefault((ref, target), at)
        if is_system:
            uses = list(dict.fromkeys([*(uses or []), *targets]))
        else:
            edges = dependencies.setdefault(ref, {})
            for target in targets:
                edges.setdefault(target, None)
    return uses, dependencies, paths


def _refuse_cycles(graph: dict[str, dict[str, object]], what: str) -> None:
    """Depth-first search; a cycle is reported as 'a -> b -> a'."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node, trail):
        state[node] = 1
        for nxt in graph.get(node, {}):
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt]
                raise BomError(f"{what} cycle: {' -> '.join(cycle)}")
            if state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in graph:
        if start not in state:
            visit(start, [start])


def build_bom(*, system: BomSystem, components: list[BomComponent], uses: list[str],
              dependencies: dict[str, dict[str, str]], serial_number: str | None = None,
              timestamp: datetime | None = None) -> dict:
    """A CycloneDX 1.6 BOM of one AI system (validate it with `validate_bom`)."""
    moment = (timestamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    root = {"type": "application", "bom-ref": system.ref, "name": system.name}
    if system.description:
        root["description"] = system.description
    return {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial_number or f"urn:uuid:{uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "tools": {"components": [{"type": "application", "name": TOOL_NAME}]},
            "component": root,
        },
        "components": [component_to_cdx(c, dependencies.get(c.ref)) for c in components],
        "dependencies": [
            {"ref": system.ref, "dependsOn": list(dict.fromkeys(uses))},
            *({"ref": c.ref, "dependsOn": list(dependencies.get(c.ref, {}))} for c in components),
        ],
    }
