"""Reference taxonomies and runbooks as data: read the files under `incidents/data/`, check them, write them.

One loader for the data migration and the services alike. The `*_sync` functions take the model classes as
arguments, so the migration passes its historical models (`apps.get_model(...)`) and the services pass the real
ones; nothing here imports the app's models. Every sync is an idempotent upsert: a second run with the same data
changes nothing, and reference rows are never deleted (incidents and checklists point at them). ATLAS techniques
that leave the data are marked `retired` instead.

Files (each names its `source` and `version`):
- `atlas.json`          MITRE ATLAS tactics (in matrix order) and techniques with sub-technique parents, tactic links
                        and maturity; `atlas_from_release()` turns the official ATLAS.yaml into the same shape.
- `owasp-llm-2025.json` OWASP Top 10 for LLM Applications 2025.
- `csf-2.0.json`        NIST CSF 2.0 functions (in order) and categories.
- `runbooks.yaml`       one runbook per incident class, ordered steps with phase, CSF category and ATLAS technique.

Malformed data raises `TaxonomyDataError` naming the place (`techniques[12].name`) and the rule.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
ID_MAX = 20  # the primary-key length of the taxonomy tables
NAME_MAX = 200
STEP_TITLE_MAX = 300


class TaxonomyDataError(ValueError):
    """A taxonomy or runbook file does not have the expected shape; the message says where and why."""


def load_yaml(text):
    """`yaml.safe_load`, through libyaml's safe loader when it is available (ten times faster, same safety)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  # nosec B506  # a safe loader


def read_data(name: str):
    """A shipped data file (JSON or YAML) from `incidents/data/`."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else load_yaml(text)


# --- checking helpers -----------------------------------------------------------------------------------------

def _mapping(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise TaxonomyDataError(f"{where}: expected a mapping, found {type(value).__name__}.")
    return value


def _list(container: dict, key: str, where: str) -> list:
    if key not in container:
        raise TaxonomyDataError(f"{where}: missing key '{key}'.")
    value = container[key]
    if not isinstance(value, list):
        raise TaxonomyDataError(f"{where}.{key}: expected a list, found {type(value).__name__}.")
    return value


def _text(container: dict, key: str, where: str, *, max_length: int, required: bool = True) -> str:
    if key not in container:
        if required:
            raise TaxonomyDataError(f"{where}: missing key '{key}'.")
        return ""
    value = container[key]
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise TaxonomyDataError(f"{where}.{key}: expected a non-empty string, found {value!r}.")
    if len(value) > max_length:
        raise TaxonomyDataError(f"{where}.{key}: longer than {max_length} characters.")
    return value.strip()


def _identifier(container: dict, where: str) -> str:
    value = _text(container, "id", where, max_length=ID_MAX)
    if any(ch.isspace() for ch in value):
        raise TaxonomyDataError(f"{where}.id: {value!r} contains whitespace.")
    return value


def _unique(rows: list[dict], where: str) -> None:
    seen = set()
    for row in rows:
        if row["id"] in seen:
            raise TaxonomyDataError(f"{where}: duplicate id {row['id']}.")
        seen.add(row["id"])


# --- MITRE ATLAS ----------------------------------------------------------------------------------------------

def atlas_check(data) -> dict:
    """Our compact ATLAS shape, checked: {"version", "tactics": [{id, name, order}], "techniques": [{id, name,
    parent?, tactics?, maturity?}]}. Parents must be techniques of the file, tactic links tactics of the file."""
    data = _mapping(data, "ATLAS data")
    version = str(data.get("version", "")).strip()
    tactics = []
    for i, item in enumerate(_list(data, "tactics", "ATLAS data")):
        where = f"tactics[{i}]"
        item = _mapping(item, where)
        order = item.get("order", i + 1)
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise TaxonomyDataError(f"{where}.order: expected a whole number, found {order!r}.")
        tactics.append({"id": _identifier(item, where), "name": _text(item, "name", where, max_length=NAME_MAX),
                        "order": order})
    _unique(tactics, "tactics")
    tactic_ids = {t["id"] for t in tactics}
    techniques = []
    for i, item in enumerate(_list(data, "techniques", "ATLAS data")):
        where = f"techniques[{i}]"
        item = _mapping(item, where)
        row = {"id": _identifier(item, where)}
        where = f"{where} ({row['id']})"
        row["name"] = _text(item, "name", where, max_length=NAME_MAX)
        row["parent"] = _text(item, "parent", where, max_length=ID_MAX, required=False) or None
        links = item.get("tactics") or []
        if not isinstance(links, list) or not all(isinstance(t, str) for t in links):
            raise TaxonomyDataError(f"{where}.tactics: expected a list of tactic ids, found {links!r}.")
        if unknown := sorted(set(links) - tactic_ids):
            raise TaxonomyDataError(f"{where}.tactics: unknown tactic {', '.join(unknown)}.")
        if row["parent"] is None and not links:
            raise TaxonomyDataError(f"{where}: a technique needs its tactics, a sub-technique its parent.")
        row["tactics"] = sorted(set(links))
        row["maturity"] = _text(item, "maturity", where, max_length=20, required=False)
        techniques.append(row)
    _unique(techniques, "techniques")
    technique_ids = {t["id"] for t in techniques}
    for row in techniques:
        if row["parent"] is not None and row["parent"] not in technique_ids:
            raise TaxonomyDataError(f"techniques ({row['id']}).parent: unknown technique {row['parent']}.")
        if row["parent"] == row["id"]:
            raise TaxonomyDataError(f"techniques ({row['id']}).parent: a technique cannot be its own parent.")
    return {"version": version, "tactics": tactics, "techniques": techniques}


def atlas_from_release(data) -> dict:
    """The official ATLAS.yaml (as parsed by `yaml.safe_load`) in our compact shape, checked.

    Tactics and techniques of every matrix are read; a tactic's order is its position in the (first) matrix it
    appears in. Sub-techniques name their parent with `subtechnique-of` and carry no tactics of their own.
    """
    data = _mapping(data, "ATLAS.yaml")
    if "version" not in data:
        raise TaxonomyDataError("ATLAS.yaml: missing key 'version'.")
    matrices = _list(data, "matrices", "ATLAS.yaml")
    if not matrices:
        raise TaxonomyDataError("ATLAS.yaml.matrices: empty; expected at least one matrix.")
    tactics, techniques, seen_tactics = [], [], set()
    for m, matrix in enumerate(matrices):
        where = f"matrices[{m}]"
        matrix = _mapping(matrix, where)
        for i, item in enumerate(_list(matrix, "tactics", where)):
            item = _mapping(item, f"{where}.tactics[{i}]")
            if item.get("id") in seen_tactics:
                continue
            seen_tactics.add(item.get("id"))
            tactics.append({"id": item.get("id"), "name": item.get("name"), "order": len(tactics) + 1})
        for i, item in enumerate(_list(matrix, "techniques", where)):
            item = _mapping(item, f"{where}.techniques[{i}]")
            row = {key: item[key] for key in ("id", "name", "maturity") if key in item}
            if "subtechnique-of" in item:
                row["parent"] = item["subtechnique-of"]
            if "tactics" in item:
                row["tactics"] = item["tactics"]
            techniques.append(row)
    try:
        return atlas_check({"version": data["version"], "tactics": tactics, "techniques": techniques})
    except TaxonomyDataError as exc:
        raise TaxonomyDataError(f"ATLAS.yaml {exc}") from None


@dataclass
class AtlasSyncSummary:
    """What an ATLAS sync did. Each technique of the data is in exactly one of added, restored, renamed, updated
    (maturity, parent or tactic links) and unchanged; `retired` are rows no longer in the data."""

    version: str = ""
    tactics_added: list[str] = field(default_factory=list)
    tactics_changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.tactics_added, self.tactics_changed, self.added, self.restored, self.renamed, self.updated,
                    self.retired))

    def summary(self) -> str:
        total = len(self.added) + len(self.restored) + len(self.renamed) + len(self.updated) + len(self.unchanged)
        return (
            f"ATLAS {self.version or '(no version)'}: {total} techniques: {len(self.added)} added, "
            f"{len(self.renamed)} renamed, {len(self.updated)} updated, {len(self.restored)} restored, "
            f"{len(self.retired)} retired, {len(self.unchanged)} unchanged; "
            f"tactics: {len(self.tactics_added)} added, {len(self.tactics_changed)} renamed or reordered."
        )


def atlas_sync(data, *, tactic_model, technique_model) -> AtlasSyncSummary:
    """Upsert tactics and techniques from compact ATLAS data (`atlas_check` shape). Nothing is deleted: techniques
    missing from the data are marked retired, and un-retired when they come back. Run inside a transaction."""
    data = atlas_check(data)
    result = AtlasSyncSummary(version=data["version"])
    tactics = {row.pk: row for row in tactic_model.objects.all()}
    for item in data["tactics"]:
        row = tactics.get(item["id"])
        if row is None:
            tactic_model.objects.create(**item)
            result.tactics_added.append(item["id"])
        elif (row.name, row.order) != (item["name"], item["order"]):
            row.name, row.order = item["name"], item["order"]
            row.save(update_fields=["name", "order"])
            result.tactics_changed.append(item["id"])
    # Tactics no longer in the data keep their rows (techniques may link to them), placed after the current ones.
    in_data = {item["id"] for item in data["tactics"]}
    last = max((item["order"] for item in data["tactics"]), default=0)
    for row in sorted((r for r in tactics.values() if r.pk not in in_data), key=lambda r: (r.order, r.pk)):
        last += 1
        if row.order != last:
            row.order = last
            row.save(update_fields=["order"])
            result.tactics_changed.append(row.pk)

    through = technique_model.tactics.through
    links: dict[str, set[str]] = {}
    for technique_id, tactic_id in through.objects.values_list("atlastechnique_id", "atlastactic_id"):
        links.setdefault(technique_id, set()).add(tactic_id)
    existing = {row.pk: row for row in technique_model.objects.all()}
    # Parents before their sub-techniques.
    for item in sorted(data["techniques"], key=lambda t: (t["parent"] is not None, t["id"])):
        row = existing.get(item["id"])
        if row is None:
            row = technique_model.objects.create(id=item["id"], name=item["name"], parent_id=item["parent"],
                                                 maturity=item["maturity"], retired=False)
            if item["tactics"]:
                row.tactics.set(item["tactics"])
            result.added.append(item["id"])
            continue
        changed = [name for name, value in (("name", item["name"]), ("parent_id", item["parent"]),
                                            ("maturity", item["maturity"]), ("retired", False))
                   if getattr(row, name) != value]
        was_retired = row.retired
        if changed:
            row.name, row.parent_id, row.maturity, row.retired = (item["name"], item["parent"], item["maturity"],
                                                                  False)
            row.save(update_fields=[name.removesuffix("_id") for name in changed])
        relinked = links.get(row.pk, set()) != set(item["tactics"])
        if relinked:
            row.tactics.set(item["tactics"])
        if was_retired:
            result.restored.append(row.pk)
        elif "name" in changed:
            result.renamed.append(row.pk)
        elif changed or relinked:
            result.updated.append(row.pk)
        else:
            result.unchanged.append(row.pk)

    in_data = {item["id"] for item in data["techniques"]}
    for row in sorted(existing.values(), key=lambda r: r.pk):
        if row.pk not in in_data and not row.retired:
            row.retired = True
            row.save(update_fields=["retired"])
            result.retired.append(row.pk)
    return result


# --- OWASP LLM Top 10 and NIST CSF 2.0 ------------------------------------------------------------------------

def _upsert(model, item: dict) -> bool:
    """Create or update one reference row by id; True if anything changed."""
    pk, values = item["id"], {k: v for k, v in item.items() if k != "id"}
    row = model.objects.filter(pk=pk).first()
    if row is None:
        model.objects.create(id=pk, **values)
        return True
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=[name.removesuffix("_id") for name in changed])
    return bool(changed)


def owasp_sync(data, *, risk_model) -> int:
    """Upsert the OWASP LLM risks of one edition; the number of rows created or changed."""
    data = _mapping(data, "OWASP data")
    edition = _text(data, "edition", "OWASP data", max_length=10)
    rows = []
    for i, item in enumerate(_list(data, "risks", "OWASP data")):
        item = _mapping(item, f"risks[{i}]")
        rows.append({"id": _identifier(item, f"risks[{i}]"),
                     "name": _text(item, "name", f"risks[{i}]", max_length=NAME_MAX), "edition": edition})
    _unique(rows, "risks")
    return sum(_upsert(risk_model, row) for row in rows)


def csf_sync(data, *, function_model, category_model) -> int:
    """Upsert the CSF 2.0 functions and categories; the number of rows created or changed."""
    data = _mapping(data, "CSF data")
    functions, categories = [], []
    for i, item in enumerate(_list(data, "functions", "CSF data")):
        item, where = _mapping(item, f"functions[{i}]"), f"functions[{i}]"
        functions.append({"id": _identifier(item, where), "name": _text(item, "name", where, max_length=50),
                          "order": item.get("order", i + 1)})
    _unique(functions, "functions")
    function_ids = {f["id"] for f in functions}
    for i, item in enumerate(_list(data, "categories", "CSF data")):
        item, where = _mapping(item, f"categories[{i}]"), f"categories[{i}]"
        row = {"id": _identifier(item, where), "name": _text(item, "name", where, max_length=NAME_MAX),
               "function_id": _text(item, "function", where, max_length=4)}
        if row["function_id"] not in function_ids:
            raise TaxonomyDataError(f"{where}.function: unknown function {row['function_id']}.")
        categories.append(row)
    _unique(categories, "categories")
    return sum(_upsert(function_model, row) for row in functions) + sum(
        _upsert(category_model, row) for row in categories)


# --- runbooks -------------------------------------------------------------------------------------------------

def runbooks_check(data, *, runbook_model, step_model, category_model, technique_model) -> dict[str, dict]:
    """The runbooks of `runbooks.yaml`, checked against the incident classes and phases of the models and the CSF
    categories and ATLAS techniques in the database: {class: {title, version, steps: [...]}}."""
    data = _mapping(data, "runbooks.yaml")
    runbooks = _mapping(data.get("runbooks"), "runbooks.yaml: runbooks")
    classes = {value for value, _ in runbook_model._meta.get_field("incident_class").choices}
    phases = {value for value, _ in step_model._meta.get_field("phase").choices}
    categories = set(category_model.objects.values_list("pk", flat=True))
    techniques = set(technique_model.objects.values_list("pk", flat=True))
    checked = {}
    for incident_class, spec in runbooks.items():
        where = f"runbooks.{incident_class}"
        if incident_class not in classes:
            raise TaxonomyDataError(f"{where}: unknown incident class; one of {', '.join(sorted(classes))}.")
        spec = _mapping(spec, where)
        version = spec.get("version")
        if not isinstance(version, str) or not version.strip():
            raise TaxonomyDataError(f"{where}.version: expected a quoted string such as \"1.0\", found {version!r}.")
        steps = []
        for i, step in enumerate(_list(spec, "steps", where)):
            at = f"{where}.steps[{i}]"
            step = _mapping(step, at)
            phase = step.get("phase")
            if phase not in phases:
                raise TaxonomyDataError(f"{at}.phase: {phase!r} is not one of {', '.join(sorted(phases))}.")
            csf = step.get("csf")
            if csf not in categories:
                raise TaxonomyDataError(f"{at}.csf: {csf!r} is not a CSF 2.0 category.")
            atlas = step.get("atlas") or None
            if atlas is not None and atlas not in techniques:
                raise TaxonomyDataError(f"{at}.atlas: {atlas!r} is not an ATLAS technique.")
            guidance = step.get("guidance") or ""
            if not isinstance(guidance, str):
                raise TaxonomyDataError(f"{at}.guidance: expected text.")
            steps.append({"order": i + 1, "phase": phase, "title": _text(step, "title", at, max_length=STEP_TITLE_MAX),
                          "guidance": guidance.strip(), "csf_category_id": csf,
                          "atlas_technique_id": atlas})
        if not steps:
            raise TaxonomyDataError(f"{where}.steps: a runbook needs at least one step.")
        checked[incident_class] = {"title": _text(spec, "title", where, max_length=NAME_MAX),
                                   "version": version.strip(), "steps": steps}
    return checked


def runbooks_sync(data, *, runbook_model, step_model, category_model, technique_model) -> list[str]:
    """Create or update one runbook per class; a runbook whose steps changed gets them replaced (checklists
    already copied onto incidents keep their own copy). Returns the classes whose runbook changed."""
    checked = runbooks_check(data, runbook_model=runbook_model, step_model=step_model,
                             category_model=category_model, technique_model=technique_model)
    fields = ("order", "phase", "title", "guidance", "csf_category_id", "atlas_technique_id")
    changed = []
    for incident_class, spec in checked.items():
        runbook = runbook_model.objects.filter(incident_class=incident_class).first()
        if runbook is None:
            runbook = runbook_model.objects.create(incident_class=incident_class, title=spec["title"],
                                                   version=spec["version"])
        elif (runbook.title, runbook.version) != (spec["title"], spec["version"]):
            runbook.title, runbook.version = spec["title"], spec["version"]
            runbook.save(update_fields=["title", "version"])
        else:
            current = [tuple(getattr(s, f) for f in fields) for s in runbook.steps.order_by("order")]
            if current == [tuple(step[f] for f in fields) for step in spec["steps"]]:
                continue
        runbook.steps.all().delete()
        for step in spec["steps"]:
            step_model.objects.create(runbook=runbook, **step)
        changed.append(incident_class)
    return changed
