"""A whole BOM: reading (schema, flattening, our consistency rules) and building.

`read_bom` validates a BOM against the CycloneDX 1.6 schema, flattens nested components and services, maps each to
a `BomComponent` and checks what the schema cannot: unique bom-refs, one component per (kind, group, name,
version), dependency refs that name a component, hashes our model accepts, no dependency or derived-from cycle.
`build_bom` is the reverse.
"""

from datetime import UTC, datetime
from uuid import uuid4

from inventory.cyclonedx.bom import BomComponent, BomSystem, ParsedBom
from inventory.cyclonedx.errors import BomError
from inventory.cyclonedx.mapping import Prop, component_from_cdx, component_to_cdx
from inventory.cyclonedx.schema import READABLE_SPEC_VERSIONS, SCHEMA_URL, SPEC_VERSION, require_object, validate_bom

TOOL_NAME = "AI incident governance portal"


def _flatten(items: list[dict], path: str, *, is_service: bool = False):
    """(item, path, is_service) for each component or service, nested ones after their parent."""
    nested_key = "services" if is_service else "components"
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        yield item, here, is_service
        yield from _flatten(item.get(nested_key) or [], f"{here}.{nested_key}", is_service=is_service)


def read_bom(bom) -> ParsedBom:
    """Validate a BOM (schema, then our own rules) and map it to inventory terms. Raises BomError."""
    require_object(bom)
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


def find_cycle(graph: dict) -> list | None:
    """A cycle of a directed graph ({node: iterable of successors}) as [a, b, ..., a], or None. Iterative
    depth-first search: a chain of any length costs no recursion."""
    state: dict = {}  # 1: on the current path, 2: done
    for start in graph:
        if start in state:
            continue
        state[start] = 1
        path, stack = [start], [iter(graph.get(start, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return None


def _refuse_cycles(graph: dict[str, dict[str, object]], what: str) -> None:
    """A cycle is reported as 'a -> b -> a'."""
    cycle = find_cycle(graph)
    if cycle:
        raise BomError(f"{what} cycle: {' -> '.join(cycle)}")


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
