"""AIBOM import and export: CycloneDX 1.6 ML-BOMs in and out of the inventory.

The mapping and the checks that need no database live in `inventory/cyclonedx/`; this module matches BOM
components with inventory rows and writes through the registry services, so every row gets its history row with
the acting user and its `InventoryEvent`.

Import is all or nothing: the BOM is validated first (schema, our own consistency rules, field rules of the
models), then written in one transaction; any error raises `BomError` and leaves nothing behind.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from inventory import cyclonedx
from inventory.cyclonedx import FIELD_LOCATIONS, BomComponent, BomError, BomSystem, ParsedBom
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    DependencyRelation,
    InventoryEvent,
    SystemComponent,
)
from inventory.selectors import components_reached_by_system, dependencies_reached_by_system
from inventory.services.registry import (
    ai_system_create,
    component_create,
    component_update,
    dependency_add,
    dependency_update,
    record_event,
    system_component_attach,
    system_component_update,
)

Kind = InventoryEvent.Kind

# Component fields an export carries (besides kind, group, name and version).
EXPORTED_FIELDS = ("description", "supplier", "license", "purl", "external_url", "hashes", "known_good",
                   "disableable", "disable_procedure", "status")
_CHUNK = 500  # ids or names per IN (...) clause


@dataclass
class ImportResult:
    """What an import did. `components_reused` counts matched components the BOM did not change."""

    system: AISystem
    system_created: bool = False
    components_created: int = 0
    components_updated: int = 0
    components_reused: int = 0
    links_created: int = 0
    links_updated: int = 0
    dependencies_created: int = 0
    dependencies_updated: int = 0

    def counts(self) -> dict:
        data = asdict(self)
        data.pop("system")
        return data

    @property
    def components_total(self) -> int:
        return self.components_created + self.components_updated + self.components_reused

    def summary(self) -> str:
        return (
            f"Imported {self.components_total} components into {self.system.slug}"
            f"{' (system created)' if self.system_created else ''}: "
            f"{self.components_created} created, {self.components_updated} updated, "
            f"{self.components_reused} unchanged; {self.links_created} links added, {self.links_updated} updated; "
            f"{self.dependencies_created} dependencies added, {self.dependencies_updated} updated."
        )


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(field or "", message) pairs of a ValidationError."""
    if hasattr(exc, "error_dict"):
        return [("" if f == "__all__" else f, m) for f, msgs in exc.message_dict.items() for m in msgs]
    return [("", m) for m in exc.messages]


def _located(path: str, exc: ValidationError, locations: dict[str, str] = FIELD_LOCATIONS) -> str:
    return "; ".join(
        f"{path}.{locations.get(field, field)}: {message}" if field else f"{path}: {message}"
        for field, message in _messages(exc)
    )


# --- import ---------------------------------------------------------------------------------------------------

def _new_system_fields(parsed: ParsedBom, slug: str) -> tuple[dict, dict[str, str]]:
    """Fields of the AI system to create, and where each came from (for messages)."""
    created_by = "Created by AIBOM import; purpose and intended use not yet recorded."
    if parsed.system:
        fields = {"name": parsed.system.name, "slug": slug, "purpose": parsed.system.description or created_by}
        where = {"name": "metadata.component.name", "purpose": "metadata.component.description"}
    else:
        fields = {"name": slug, "slug": slug, "purpose": created_by}
        where = {"name": "system slug", "purpose": "system purpose"}
    where["slug"] = "system slug"
    return fields, where


def _check_fields(parsed: ParsedBom, new_system: dict | None, system_where: dict) -> None:
    """The models' field rules (lengths, URLs, choices, hashes) for every row the import would create."""
    if new_system is not None:
        try:
            AISystem(**new_system).clean_fields()
        except ValidationError as exc:
            raise BomError("; ".join(f"{system_where.get(f, f)}: {m}" for f, m in _messages(exc))) from exc
    for component in parsed.components:
        instance = Component(kind=component.kind, name=component.name, group=component.group,
                             version=component.version, **component.fields)
        try:
            instance.clean_fields(exclude=["derived_from"])
        except ValidationError as exc:
            raise BomError(_located(component.path, exc)) from exc


def _existing_components(components: list[BomComponent]) -> dict[tuple, Component]:
    names = sorted({c.name for c in components})
    found = {}
    for start in range(0, len(names), _CHUNK):
        for obj in Component.objects.filter(name__in=names[start:start + _CHUNK]):
            found[(obj.kind, obj.group, obj.name, obj.version)] = obj
    return found


def aibom_import(*, actor, bom: dict, system_slug: str,
                 progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a CycloneDX BOM into the AI system `system_slug` (created from the BOM if it does not exist).

    Components are matched on (kind, group, name, version): a match is reused and updated with the values the BOM
    states (its bom-ref excepted), anything else is created. The system uses the components its dependency entry
    lists (every component when the BOM has no entry for it). Raises BomError, with nothing written, on any problem.
    `progress(done, total)` is called as components are imported.
    """
    parsed = cyclonedx.read_bom(bom)
    system = AISystem.objects.filter(slug=system_slug).first()
    new_system, system_where = (None, {}) if system else _new_system_fields(parsed, system_slug)
    _check_fields(parsed, new_system, system_where)
    try:
        with transaction.atomic():
            if system is None:
                system = ai_system_create(actor=actor, **new_system)
                result = ImportResult(system=system, system_created=True)
            else:
                result = ImportResult(system=system)
            objects = _import_components(actor, parsed, result, progress)
            _import_links(actor, parsed, system, objects, result)
            _import_dependencies(actor, parsed, objects, result)
            record_event(
                Kind.AIBOM_IMPORTED, actor=actor, system=system, summary=result.summary(),
                payload={**result.counts(), "serial_number": parsed.serial_number},
            )
    except ValidationError as exc:  # a rule checked only on save (e.g. a concurrent change)
        raise BomError(_located("(import)", exc)) from exc
    return result


def _import_components(actor, parsed: ParsedBom, result: ImportResult, progress) -> dict[int, Component]:
    """Create or update each BOM component; returns {id(BomComponent): Component}."""
    existing = _existing_components(parsed.components)
    objects: dict[int, Component] = {}
    by_ref: dict[str, Component] = {}
    total = len(parsed.components)
    for done, component in enumerate(parsed.creation_order(), start=1):
        obj = existing.get(component.identity)
        derived = by_ref[component.derived_from] if component.derived_from else None
        try:
            if obj is None:
                obj = component_create(
                    actor=actor, kind=component.kind, name=component.name, group=component.group,
                    version=component.version, derived_from=derived, **component.fields,
                )
                result.components_created += 1
            else:
                # bom_ref records the ref a component was first imported with; refs are local to one BOM.
                changes = {f: v for f, v in component.fields.items() if f != "bom_ref" and getattr(obj, f) != v}
                if derived is not None and obj.derived_from_id != derived.pk:
                    changes["derived_from"] = derived
                if changes:
                    component_update(actor=actor, component=obj, **changes)
                    result.components_updated += 1
                else:
                    result.components_reused += 1
        except ValidationError as exc:
            raise BomError(_located(component.path, exc)) from exc
        objects[id(component)] = obj
        if component.ref:
            by_ref[component.ref] = obj
        if progress:
            progress(done, total)
    return objects


def _import_links(actor, parsed: ParsedBom, system: AISystem, objects: dict, result: ImportResult) -> None:
    refs = parsed.by_ref()
    used = parsed.components if parsed.uses is None else [refs[ref] for ref in parsed.uses]
    links = {link.component_id: link for link in SystemComponent.objects.filter(system=system).select_related(
        "system", "component")}
    for component in used:
        obj = objects[id(component)]
        link = links.get(obj.pk)
        try:
            if link is None:
                links[obj.pk] = system_component_attach(
                    actor=actor, system=system, component=obj, usage=component.usage or "",
                    is_active=True if component.is_active is None else component.is_active,
                )
                result.links_created += 1
                continue
            changes = {}
            if component.usage is not None and link.usage != component.usage:
                changes["usage"] = component.usage
            if component.is_active is not None and link.is_active != component.is_active:
                changes["is_active"] = component.is_active
            if changes:
                system_component_update(actor=actor, link=link, **changes)
                result.links_updated += 1
        except ValidationError as exc:
            raise BomError(_located(f"{component.path} (use by {system.slug})", exc)) from exc


def _import_dependencies(actor, parsed: ParsedBom, objects: dict, result: ImportResult) -> None:
    by_ref = {c.ref: objects[id(c)] for c in parsed.components if c.ref}
    ids = [obj.pk for obj in by_ref.values()]
    edges = {}
    for start in range(0, len(ids), _CHUNK):
        for edge in ComponentDependency.objects.filter(component_id__in=ids[start:start + _CHUNK]):
            edges[(edge.component_id, edge.depends_on_id)] = edge
    for ref, targets in parsed.dependencies.items():
        for target, relation in targets.items():
            component, depends_on = by_ref[ref], by_ref[target]
            edge = edges.get((component.pk, depends_on.pk))
            try:
                if edge is None:
                    dependency_add(actor=actor, component=component, depends_on=depends_on,
                                   relation=relation or DependencyRelation.DEPENDS_ON)
                    result.dependencies_created += 1
                elif relation and edge.relation != relation:
                    dependency_update(actor=actor, edge=edge, relation=relation)
                    result.dependencies_updated += 1
            except ValidationError as exc:
                where = parsed.dependency_paths[(ref, target)]
                raise BomError(f"{where} ({ref} -> {target}): " + "; ".join(m for _, m in _messages(exc))) from exc


# --- export ---------------------------------------------------------------------------------------------------

def _bom_refs(components: list[Component], taken: str) -> dict[int, str]:
    """A unique bom-ref per component: the one it was imported with, else one built from its identity."""
    used, refs = {taken}, {}
    for obj in components:
        ref = obj.bom_ref
        if not ref or ref in used:
            natural = f"{obj.kind}:{obj.group + '/' if obj.group else ''}{obj.name}"
            ref = f"{natural}@{obj.version}" if obj.version else natural
            if ref in used:
                ref = f"{ref}#{obj.pk}"
        used.add(ref)
        refs[obj.pk] = ref
    return refs


@transaction.atomic
def aibom_export(*, actor, system: AISystem) -> dict:
    """The CycloneDX 1.6 BOM of an AI system: its components, every component they reach through dependencies
    and derived-from links, and the dependency edges. Validated against the 1.6 schema. A constant number of
    queries, whatever the number of components.
    """
    components = list(components_reached_by_system(system))
    links = {
        component_id: (usage, is_active)
        for component_id, usage, is_active in SystemComponent.objects.filter(system=system)
        .order_by().values_list("component_id", "usage", "is_active")
    }
    edges = dependencies_reached_by_system(system).values_list("component_id", "depends_on_id", "relation")
    refs = _bom_refs(components, system.slug)
    position = {obj.pk: i for i, obj in enumerate(components)}
    dependencies: dict[str, dict[str, str]] = {}
    for component_id, depends_on_id, relation in sorted(edges, key=lambda e: (position[e[0]], position[e[1]])):
        dependencies.setdefault(refs[component_id], {})[refs[depends_on_id]] = relation

    entries = []
    for obj in components:
        usage, is_active = links.get(obj.pk, (None, None))
        entries.append(BomComponent(
            ref=refs[obj.pk], kind=obj.kind, name=obj.name, group=obj.group, version=obj.version,
            fields={name: getattr(obj, name) for name in EXPORTED_FIELDS},
            derived_from=refs.get(obj.derived_from_id, "") if obj.derived_from_id else "",
            usage=usage, is_active=is_active,
        ))
    bom = cyclonedx.build_bom(
        system=BomSystem(ref=system.slug, name=system.name, description=system.purpose),
        components=entries,
        uses=[refs[obj.pk] for obj in components if obj.pk in links],
        dependencies=dependencies,
    )
    cyclonedx.validate_bom(bom)
    record_event(
        Kind.AIBOM_EXPORTED, actor=actor, system=system,
        summary=f"AIBOM of {system} exported ({len(components)} components)",
        payload={"serial_number": bom["serialNumber"], "components": len(components),
                 "dependencies": sum(len(d) for d in dependencies.values())},
    )
    return bom
