"""AIBOM import and export: CycloneDX 1.6 ML-BOMs in and out of the inventory.

The mapping and the checks that need no database live in `inventory/cyclonedx/`; this module matches BOM
components with inventory rows and writes through the registry services, so every row gets its history row with
the acting user and its `InventoryEvent`.

Import is all or nothing: the BOM is validated first (schema, our own consistency rules, field rules of the
models), then written in one transaction; any error raises `BomError` and leaves nothing behind.
"""

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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
from inventory.services.registry import _clock_inputs_changed, _plain, ai_system_create, record_event
from portal.core.audit import current_source
from portal.core.bulk import insert_rows
from portal.core.history import history_in_bulk

Kind = InventoryEvent.Kind

# Component fields an export carries (besides kind, group, name and version).
EXPORTED_FIELDS = ("description", "supplier", "license", "purl", "external_url", "hashes", "known_good",
                   "disableable", "disable_procedure", "status")
_CHUNK = 500  # ids or names per IN (...) clause
_BATCH = 1000  # rows per bulk INSERT / UPDATE statement
_SEEDS = 5000  # start components per recursive query


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


def _check_fields(parsed: ParsedBom, new_system: dict | None, system_where: dict) -> dict[int, Component]:
    """The models' field rules (lengths, URLs, choices, hashes) and row rules for every component the BOM
    describes, as if each were created; no query. Returns the unsaved instances, {id(BomComponent): Component}."""
    if new_system is not None:
        try:
            AISystem(**new_system).clean_fields()
        except ValidationError as exc:
            raise BomError("; ".join(f"{system_where.get(f, f)}: {m}" for f, m in _messages(exc))) from exc
    instances = {}
    for component in parsed.components:
        instance = Component(kind=component.kind, name=component.name, group=component.group,
                             version=component.version, **component.fields)
        _validate(instance, component.path, exclude=["derived_from"])
        instances[id(component)] = instance
    return instances


@cache
def _plain_rules(model) -> tuple[list, list[str]]:
    """(attname, max length, required, choices) of the model's text fields a quick check covers, and the names
    of the other fields (checked by their own `clean`)."""
    text, other = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.is_relation or not field.editable:
            continue
        if field.get_internal_type() in ("CharField", "TextField") and all(
                isinstance(v, MaxLengthValidator | ProhibitNullCharactersValidator) for v in field.validators):
            choices = frozenset(value for value, _ in field.flatchoices) if field.choices else None
            text.append((field.attname, field.max_length, not field.blank, choices))
        else:
            other.append(field.name)
    return text, other


def _quickly_valid(instance, exclude) -> bool:
    """True when every text field is plainly valid (a string, short enough, present if required, one of its
    choices, without NUL) and the other fields pass their own `clean`; False means: run the full check."""
    text, other = _plain_rules(type(instance))
    for attname, max_length, required, choices in text:
        value = getattr(instance, attname)
        if (not isinstance(value, str) or (max_length and len(value) > max_length) or (required and not value)
                or (choices is not None and value not in choices) or "\x00" in value):
            return False
    try:
        instance.clean_fields(exclude=[f.name for f in instance._meta.concrete_fields
                                       if f.name not in other or f.name in exclude])
    except ValidationError:
        return False
    return True


def _validate(instance, path: str, exclude=()) -> None:
    """Field and row rules of one instance (foreign keys excepted: they name rows the import holds)."""
    try:
        if not _quickly_valid(instance, exclude):
            instance.clean_fields(exclude=list(exclude))
            for attname, *_ in _plain_rules(type(instance))[0]:  # TextFields have no NUL validator of their own
                if "\x00" in (getattr(instance, attname) or ""):
                    raise ValidationError({attname: "Null characters are not allowed."})
        instance.clean()
    except ValidationError as exc:
        raise BomError(_located(path, exc)) from exc


def _by_identity(identities: list[tuple], columns: str) -> str:
    """SQL selecting `columns` of the components with the given identities: a join with a VALUES list, which the
    unique index on the identity serves (IN lists per column would multiply into every combination)."""
    table = Component._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(identities))
    return (
        f'SELECT {columns} FROM {table} c JOIN (VALUES {rows}) v ON c.kind = v.column1 AND c."group" = v.column2'  # noqa: S608  # nosec B608  # fixed SQL, the values are parameters
        f" AND c.name = v.column3 AND c.version = v.column4"
    )


def _identity_chunks(identities):
    identities = sorted(set(identities))
    for start in range(0, len(identities), _CHUNK):
        chunk = identities[start:start + _CHUNK]
        yield chunk, [value for identity in chunk for value in identity]


def _existing_components(components: list[BomComponent]) -> dict[tuple, Component]:
    """The recorded components with the identities of `components`, `_CHUNK` identities per query."""
    found = {}
    for chunk, params in _identity_chunks(c.identity for c in components):
        for obj in Component.objects.raw(_by_identity(chunk, "c.*"), params):  # nosec B611  # fixed SQL
            found[(obj.kind, obj.group, obj.name, obj.version)] = obj
    return found


def _open(bom) -> ParsedBom:
    """The BOM read and checked: a parsed document (dict), or its text (bytes / str) or binary file to stream."""
    if isinstance(bom, ParsedBom):
        return bom
    if isinstance(bom, dict):
        return cyclonedx.read_bom(bom)
    return cyclonedx.read_bom(cyclonedx.parse_json(bom))


def aibom_import(*, actor, bom, system_slug: str,
                 progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a CycloneDX BOM into the AI system `system_slug` (created from the BOM if it does not exist).

    `bom` is the parsed document (a dict), or its JSON text (bytes or str) or a binary file, parsed as a stream
    (a file's text is never held whole; the parsed document is). Components are matched on (kind, group, name,
    version): a match is reused and updated with the values the BOM states (its bom-ref excepted), anything else
    is created. The system uses the components its dependency entry lists (every component when the BOM has no
    entry for it). Raises BomError, with nothing written, on any problem.

    The rows are written in bulk, each with its history row (naming `actor` and the audit source, chained in one
    batch per history table) and its timeline event, as the registry services would write them one by one: a
    bounded number of queries, whatever the number of components. `progress(done, total)` is called as components
    are written (`total` is the number of components; `(total, total)` once everything is written).
    """
    parsed = _open(bom)
    system = AISystem.objects.filter(slug=system_slug).first()
    new_system, system_where = (None, {}) if system else _new_system_fields(parsed, system_slug)
    instances = _check_fields(parsed, new_system, system_where)
    report = progress or (lambda done, total: None)
    total = len(parsed.components)
    try:
        with transaction.atomic():
            if system is None:
                system = ai_system_create(actor=actor, **new_system)
                result = ImportResult(system=system, system_created=True)
            else:
                result = ImportResult(system=system)
            writer = _BulkWriter(actor)
            objects, created_ids = _import_components(writer, parsed, instances, result, report)
            linked = _import_links(writer, parsed, system, objects, result)
            _import_dependencies(writer, parsed, objects, created_ids, result)
            writer.flush()
            record_event(
                Kind.AIBOM_IMPORTED, actor=actor, system=system, summary=result.summary(),
                payload={**result.counts(), "serial_number": parsed.serial_number},
            )
            _links_changed(actor=actor, system=system, linked=linked)
    except ValidationError as exc:  # a rule checked only on save
        raise BomError(_located("(import)", exc)) from exc
    except IntegrityError as exc:  # a concurrent writer created or changed a row first
        raise BomError(f"(import): the import conflicts with a concurrent change, try again ({exc})") from exc
    report(total, total)
    return result


class _BulkWriter:
    """History rows and timeline events collected during an import and written at its end in bulk: one chained
    batch per history table (one chain lock, one head row), the events in one insert, both without model
    instances (COPY on PostgreSQL)."""

    def __init__(self, actor):
        self.actor = actor
        self.history: dict[tuple, list] = {}  # (model, update) -> instances
        self.events: list[dict] = []
        self.common = {"actor_id": getattr(actor, "pk", None), "source": current_source(), "at": timezone.now()}
        self.labels: dict[int, str] = {}

    def label(self, obj) -> str:
        """str(obj), once per object."""
        text = self.labels.get(id(obj))
        if text is None:
            text = self.labels[id(obj)] = str(obj)
        return text

    def tracked(self, model, instances, *, update=False) -> None:
        self.history.setdefault((model, update), []).extend(instances)

    def event(self, kind, *, summary, system=None, component=None, payload=None) -> None:
        self.events.append({
            "kind": kind, "system_id": getattr(system, "pk", None), "component_id": getattr(component, "pk", None),
            **self.common, "summary": summary[:300], "payload": payload or {},
        })

    def flush(self) -> None:
        # per history table, created rows before updated ones, each group one chained batch
        for (model, update), instances in sorted(self.history.items(), key=lambda item: item[0][1]):
            history_in_bulk(model, instances, actor=self.actor, update=update)
        insert_rows(InventoryEvent, self.events)
        self.history, self.events = {}, []


def _identity(obj) -> tuple:
    return (obj.kind, obj.group, obj.name, obj.version)


def _reread_components(objs):
    for chunk, params in _identity_chunks(_identity(obj) for obj in objs):
        with connection.cursor() as cursor:
            cursor.execute(_by_identity(chunk, "c.id, c.kind, c.\"group\", c.name, c.version"), params)
            yield from cursor.fetchall()


def _copy_in(model, objs: list, *, key, reread) -> None:
    """Insert unsaved instances in one go (COPY on PostgreSQL, no per-value preparation) and give each its id,
    read back by its natural key (`reread(objs)` yields (pk, *key) rows, possibly of other rows too)."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    insert_rows(model, [{f.attname: getattr(obj, f.attname) for f in fields} for obj in objs])
    by_key = {key(obj): obj for obj in objs}
    for pk, *natural in reread(objs):
        obj = by_key.get(tuple(natural))
        if obj is not None:
            obj.pk = pk
            obj._state.adding, obj._state.db = False, "default"


def _import_components(writer: _BulkWriter, parsed: ParsedBom, instances: dict[int, Component],
                       result: ImportResult, report) -> tuple[dict[int, Component], set[int]]:
    """Create or update each BOM component, `_BATCH` at a time; returns {id(BomComponent): Component} and the ids
    of the components created."""
    existing = _existing_components(parsed.components)
    objects: dict[int, Component] = {}
    by_ref: dict[str, Component] = {}
    ordered = parsed.creation_order()  # each after the one it is derived from
    total, now = len(ordered), timezone.now()
    created, updated, fields = [], [], {"updated_at"}
    for start in range(0, total, _BATCH):
        chunk = ordered[start:start + _BATCH]
        fresh, late = [], []  # created; created derived from one created in this chunk
        for component in chunk:
            obj = existing.get(component.identity)
            derived = by_ref[component.derived_from] if component.derived_from else None
            if obj is None:
                obj = instances[id(component)]
                obj.created_at = obj.updated_at = now
                if derived is not None and derived.pk is None:
                    late.append((obj, derived))
                else:
                    obj.derived_from = derived
                fresh.append(obj)
                result.components_created += 1
            else:
                # bom_ref records the ref a component was first imported with; refs are local to one BOM.
                changes = {f: v for f, v in component.fields.items() if f != "bom_ref" and getattr(obj, f) != v}
                if derived is not None and (derived.pk is None or obj.derived_from_id != derived.pk):
                    changes["derived_from"] = derived  # its id is taken when the row is written
                if changes:
                    for name, value in changes.items():
                        setattr(obj, name, value)
                    obj.updated_at = now
                    _validate(obj, component.path, exclude=["derived_from"])
                    fields.update(changes)
                    updated.append((obj, list(changes)))
                    result.components_updated += 1
                else:
                    result.components_reused += 1
            objects[id(component)] = obj
            if component.ref:
                by_ref[component.ref] = obj
        _copy_in(Component, fresh, key=_identity, reread=_reread_components)
        for obj, derived in late:
            obj.derived_from = derived
        if late:
            Component.objects.bulk_update([obj for obj, _ in late], ["derived_from"], batch_size=_BATCH)
        created += fresh
        if start + len(chunk) < total:
            report(start + len(chunk), total)
    if updated:
        Component.objects.bulk_update([obj for obj, _ in updated], sorted(fields), batch_size=_BATCH)
    writer.tracked(Component, created)
    writer.tracked(Component, [obj for obj, _ in updated], update=True)
    for obj in created:
        writer.event(Kind.COMPONENT_REGISTERED, component=obj, summary=f"Component {writer.label(obj)} registered")
    for obj, changed in updated:
        writer.event(Kind.COMPONENT_UPDATED, component=obj, summary=f"Component {writer.label(obj)} updated",
                     payload={"fields": changed, "values": {f: _plain(getattr(obj, f)) for f in changed}})
    return objects, {obj.pk for obj in created}


def _links_changed(*, actor, system: AISystem, linked: dict[str, list[int]]) -> None:
    """The import changed which components the system uses (links created, or switched on or off): the apps
    above recompute what depends on it, as after `system_component_attach` (one signal for the whole import)."""
    parts = [f"{len(ids)} {what}" for what, ids in linked.items() if ids]
    if parts:
        _clock_inputs_changed(actor=actor, system=system, components=[pk for ids in linked.values() for pk in ids],
                              changes={"components": f"AIBOM import: {', '.join(parts)}"})


def _import_links(writer: _BulkWriter, parsed: ParsedBom, system: AISystem, objects: dict,
                  result: ImportResult) -> dict[str, list[int]]:
    """Create and update the system's links to the BOM's components; returns the ids of the components whose
    link was created, activated or deactivated (what the regulatory clock may care about)."""
    refs = parsed.by_ref()
    used = parsed.components if parsed.uses is None else [refs[ref] for ref in parsed.uses]
    links = {link.component_id: link for link in SystemComponent.objects.filter(system=system).order_by()}
    created, updated, fields = [], [], set()
    for component in used:
        obj = objects[id(component)]
        link = links.get(obj.pk)
        where = f"{component.path} (use by {system.slug})"
        if link is None:
            link = SystemComponent(system=system, component=obj, usage=component.usage or "",
                                   is_active=True if component.is_active is None else component.is_active)
            _validate(link, where, exclude=["system", "component"])
            links[obj.pk] = link
            created.append(link)
            continue
        changes = {}
        if component.usage is not None and link.usage != component.usage:
            changes["usage"] = component.usage
        if component.is_active is not None and link.is_active != component.is_active:
            changes["is_active"] = component.is_active
        if changes:
            for name, value in changes.items():
                setattr(link, name, value)
            link.system, link.component = system, obj
            _validate(link, where, exclude=["system", "component"])
            fields.update(changes)
            updated.append((link, changes))
    _copy_in(SystemComponent, created, key=lambda link: (link.component_id,),
             reread=lambda _: SystemComponent.objects.filter(system=system).order_by().values_list(
                 "pk", "component_id"))
    if updated:
        SystemComponent.objects.bulk_update([link for link, _ in updated], sorted(fields), batch_size=_BATCH)
    writer.tracked(SystemComponent, created)
    writer.tracked(SystemComponent, [link for link, _ in updated], update=True)
    for link in created:
        writer.event(Kind.COMPONENT_ATTACHED, system=system, component=link.component,
                     summary=f"{writer.label(link.component)} attached to {system}",
                     payload={"usage": link.usage, "is_active": link.is_active})
    for link, changes in updated:
        writer.event(Kind.COMPONENT_ATTACHED, system=system, component=link.component,
                     summary=f"Use of {writer.label(link.component)} by {system} updated",
                     payload={f: _plain(v) for f, v in changes.items()})
    result.links_created, result.links_updated = len(created), len(updated)
    switched = [(link, changes["is_active"]) for link, changes in updated if "is_active" in changes]
    return {"attached": [link.component_id for link in created],
            "activated": [link.component_id for link, on in switched if on],
            "deactivated": [link.component_id for link, on in switched if not on]}


def _existing_edges(ids: list[int]) -> dict[int, set[int]]:
    """Every dependency edge reachable from the components `ids` ({component id: {depends-on ids}}): one recursive
    query per `_SEEDS` ids."""
    table = ComponentDependency._meta.db_table
    graph: dict[int, set[int]] = {}
    for start in range(0, len(ids), _SEEDS):
        seeds = ids[start:start + _SEEDS]
        sql = (
            f"WITH RECURSIVE reach(id) AS (SELECT CAST(component_id AS BIGINT) FROM {table}"  # noqa: S608  # nosec B608  # the model's table, not input
            f" WHERE component_id IN ({', '.join(['%s'] * len(seeds))})"
            f" UNION SELECT d.depends_on_id FROM {table} d JOIN reach r ON d.component_id = r.id)"
            f" SELECT d.component_id, d.depends_on_id FROM {table} d JOIN reach r ON d.component_id = r.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, seeds)
            for component_id, depends_on_id in cursor.fetchall():
                graph.setdefault(component_id, set()).add(depends_on_id)
    return graph


def _refuse_cycles_with_existing(parsed: ParsedBom, new_edges: list, existing_ids: list[int]) -> None:
    """No new edge may close a cycle through the edges already recorded. The BOM's own graph is acyclic (read_bom
    checked); an existing edge on a cycle is reachable from a matched component, so the recorded graph reachable
    from those (one recursive query per `_SEEDS` components) plus the new edges is searched for a cycle in memory.
    The components are locked first, as `dependency_add` locks the ends of an edge."""
    if not new_edges or not existing_ids:
        return
    for start in range(0, len(existing_ids), _CHUNK):
        list(Component.objects.select_for_update().filter(pk__in=existing_ids[start:start + _CHUNK])
             .values_list("pk", flat=True))
    graph = _existing_edges(existing_ids)
    if not graph:
        return
    new: dict[tuple[int, int], tuple] = {}
    for edge, ref, target in new_edges:
        graph.setdefault(edge.component.pk, set()).add(edge.depends_on.pk)
        new[(edge.component.pk, edge.depends_on.pk)] = (edge, ref, target)
    cycle = cyclonedx.find_cycle(graph)
    if cycle is None:
        return
    on_cycle = [new[pair] for pair in itertools.pairwise(cycle) if pair in new]
    order = {pair: i for i, pair in enumerate(parsed.dependency_paths)}  # as the BOM declares them
    edge, ref, target = max(on_cycle, key=lambda e: order[(e[1], e[2])])
    raise BomError(
        f"{parsed.dependency_paths[(ref, target)]} ({ref} -> {target}): {edge.depends_on} already depends on "
        f"{edge.component}; this dependency would make a cycle."
    )


def _import_dependencies(writer: _BulkWriter, parsed: ParsedBom, objects: dict, created_ids: set[int],
                         result: ImportResult) -> None:
    by_ref = {c.ref: objects[id(c)] for c in parsed.components if c.ref}
    ids = [obj.pk for obj in by_ref.values()]
    existing_ids = [pk for pk in ids if pk not in created_ids]
    edges = {}  # the recorded edges leaving matched components (a created one has none)
    for start in range(0, len(existing_ids), _CHUNK):
        query = ComponentDependency.objects.filter(component_id__in=existing_ids[start:start + _CHUNK]).order_by()
        for pk, component_id, depends_on_id, relation in query.values_list(
                "pk", "component_id", "depends_on_id", "relation"):
            edges[(component_id, depends_on_id)] = ComponentDependency(
                pk=pk, component_id=component_id, depends_on_id=depends_on_id, relation=relation)
    created, updated = [], []
    for ref, targets in parsed.dependencies.items():
        for target, relation in targets.items():
            component, depends_on = by_ref[ref], by_ref[target]
            edge = edges.get((component.pk, depends_on.pk))
            if edge is None:
                edge = ComponentDependency(component=component, depends_on=depends_on,
                                           relation=relation or DependencyRelation.DEPENDS_ON)
                _validate(edge, parsed.dependency_paths[(ref, target)], exclude=["component", "depends_on"])
                created.append((edge, ref, target))
            elif relation and edge.relation != relation:
                edge.relation = relation
                edge.component, edge.depends_on = component, depends_on
                updated.append(edge)
    _refuse_cycles_with_existing(parsed, created, existing_ids)
    new_edges = [edge for edge, _, _ in created]

    def reread(edges):
        sources = sorted({edge.component_id for edge in edges})
        for start in range(0, len(sources), _CHUNK):
            yield from ComponentDependency.objects.filter(component_id__in=sources[start:start + _CHUNK]).order_by(
            ).values_list("pk", "component_id", "depends_on_id")

    _copy_in(ComponentDependency, new_edges, key=lambda edge: (edge.component_id, edge.depends_on_id),
             reread=reread)
    if updated:
        ComponentDependency.objects.bulk_update(updated, ["relation"], batch_size=_BATCH)
    writer.tracked(ComponentDependency, [edge for edge, _, _ in created])
    writer.tracked(ComponentDependency, updated, update=True)
    relations = {value: label.lower() for value, label in DependencyRelation.choices}

    def label(edge):  # str(edge), with each component's label computed once
        return f"{writer.label(edge.component)} {relations[edge.relation]} {writer.label(edge.depends_on)}"

    for edge, _, _ in created:
        writer.event(Kind.DEPENDENCY_ADDED, component=edge.component, summary=label(edge),
                     payload={"depends_on": edge.depends_on_id, "relation": edge.relation})
    for edge in updated:
        writer.event(Kind.DEPENDENCY_ADDED, component=edge.component, summary=f"{label(edge)} (relation changed)",
                     payload={"depends_on": edge.depends_on_id, "relation": edge.relation})
    result.dependencies_created, result.dependencies_updated = len(created), len(updated)


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
