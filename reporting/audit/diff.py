"""Field-by-field differences between consecutive history rows of one record, and their values in words.

`HistorySpec.of(model)` says what of a history table is compared: the tracked fields (without the primary key and
the ``auto_now`` stamps, which change on every save and say nothing the history date does not), the many-to-many
snapshots simple-history keeps per row, and the chain hash column if the tamper-evidence module added one.
`snapshot(row)` reads one row's values, `changes(previous, current)` compares two snapshots (previous None: the
record was created, every value set is a change), and `ValueText` writes values readably: choice labels, Yes/No,
UTC times, compact JSON, the names of related rows (looked up in bulk by the caller, see `references`), and withholds
the values of confidential fields from a reader not cleared for them (`portal.core.confidential`).

This module runs no query: the caller prefetches the snapshots and resolves the references.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models.fields.files import FieldFile

from portal.core import confidential
from portal.core.display import moment_text
from reporting.wording import code_words, label_words

EMPTY = "—"
WITHHELD = confidential.WITHHELD

# Names the tamper-evidence module may give the column holding a row's own link hash, most likely first.
CHAIN_HASH_NAMES = ("history_hash", "chain_hash", "row_hash", "entry_hash", "record_hash", "hash")


@dataclass(frozen=True)
class M2MField:
    name: str
    label: str
    accessor: str  # from a history row to the rows of its many-to-many snapshot
    target_attname: str  # on a snapshot row: the related row's id
    target_model: type[models.Model]
    snapshot_model: type[models.Model]  # the table of the snapshots (chained like the history table)


@dataclass(frozen=True)
class HistorySpec:
    history_model: type[models.Model]
    fields: tuple[models.Field, ...]
    m2m: tuple[M2MField, ...]
    chain_hash_field: str | None
    label: str  # of the model recorded: what the confidential-field declaration is asked about

    @classmethod
    def of(cls, model: type[models.Model], omit: tuple[str, ...] = ()) -> HistorySpec:
        return _spec(model, tuple(omit))

    @property
    def prefetch(self) -> list[str]:
        return [m.accessor for m in self.m2m]


@cache
def _spec(model, omit) -> HistorySpec:
    history_model = model.history.model
    fields = tuple(
        f for f in history_model.tracked_fields
        if not f.primary_key and not getattr(f, "auto_now", False) and f.name not in omit
    )
    m2m = []
    for field in getattr(history_model, "_history_m2m_fields", ()):
        snapshot_model = getattr(history_model, field.name).model
        accessor = snapshot_model._meta.get_field("history").remote_field.get_accessor_name()
        source = field.m2m_field_name()
        target = next(f for f in snapshot_model._meta.concrete_fields
                      if isinstance(f, models.ForeignKey) and f.name not in (source, "history"))
        m2m.append(M2MField(name=field.name, label=_label(field), accessor=accessor, target_attname=target.attname,
                            target_model=field.related_model, snapshot_model=snapshot_model))
    return HistorySpec(
        history_model=history_model, fields=fields, m2m=tuple(m2m),
        chain_hash_field=_chain_hash_field(history_model, {f.name for f in history_model.tracked_fields}),
        label=confidential.label_of(model),
    )


def _chain_hash_field(history_model, tracked: set[str]) -> str | None:
    names = [f.name for f in history_model._meta.concrete_fields if f.name not in tracked]
    for name in CHAIN_HASH_NAMES:
        if name in names:
            return name
    own = [n for n in names if n.endswith("hash") and not n.startswith(("prev", "previous", "parent"))]
    return own[0] if own else None


def _label(field) -> str:
    return label_words(field.verbose_name)


@dataclass(frozen=True)
class Change:
    field: models.Field | M2MField
    old: Any
    new: Any

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return self.field.label if isinstance(self.field, M2MField) else _label(self.field)


def _value(row, field: models.Field):
    value = getattr(row, field.attname)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(row, spec: HistorySpec) -> dict[str, Any]:
    """A history row's compared values: ``{field name: value}``, related rows by id, snapshots as frozensets."""
    values = {f.name: _value(row, f) for f in spec.fields}
    for m in spec.m2m:
        values[m.name] = frozenset(getattr(item, m.target_attname) for item in getattr(row, m.accessor).all())
    return values


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {} or value == frozenset()


def changes(previous: dict | None, current: dict, spec: HistorySpec) -> list[Change]:
    """What differs from the previous version; for a first version, every value that is set."""
    result = []
    for field in (*spec.fields, *spec.m2m):
        new = current[field.name]
        if previous is None:
            if not _is_empty(new) and new is not False:
                result.append(Change(field, None, new))
        elif previous[field.name] != new:
            result.append(Change(field, previous[field.name], new))
    return result


def references(spec: HistorySpec, values: dict) -> dict[type[models.Model], set]:
    """The related rows a snapshot names, by model: to be looked up once for all rows."""
    found = defaultdict(set)
    for field in spec.fields:
        if field.is_relation and values[field.name] is not None:
            found[field.related_model].add(values[field.name])
    for m in spec.m2m:
        found[m.target_model].update(values[m.name])
    return found


def related_label(obj) -> str:
    """A related row in words, from its own columns only (no further query)."""
    from django.contrib.auth import get_user_model

    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.get_username()
    labels = {
        "reporting.disclosuredecision": lambda d: f"{d.get_decision_display()} to {d.get_audience_display()}",
        "incidents.postincidentreview": lambda r: "Post-incident review",
        "incidents.incident": lambda i: i.reference,
    }
    label = labels.get(obj._meta.label_lower)
    return label(obj) if label else str(obj)


def json_compact(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def _json_scalar(value) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_json_scalar(item) for item in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(json_lines(value)) or "none"
    if isinstance(value, str) and ISO_MOMENT.match(value):
        return moment_text(value, seconds=True) or value
    if isinstance(value, str) and ("_" in value or "." in value):
        return code_words().get(value, value)
    return str(value)


def json_lines(value, prefix: str = "") -> list[str]:
    """A JSON value as labelled lines for people: `{"rate": 0.031, "details": {"window": "5m"}}` gives
    `Rate: 0.031` and `Details / Window: 5m`; moments in the portal's format. Machine-readable exports keep
    `json_compact`."""
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            name = f"{prefix} / {label_words(key)}" if prefix else label_words(key)
            if isinstance(item, dict) and item:
                lines.extend(json_lines(item, name))
            else:
                lines.append(f"{name}: {_json_scalar(item)}")
        return lines
    if value is None or value == "" or value == []:
        return []
    return [f"{prefix}: {_json_scalar(value)}" if prefix else _json_scalar(value)]


def json_text(value) -> str:
    """`json_lines` joined on one line."""
    return "; ".join(json_lines(value)) or EMPTY


def utc_text(moment: dt.datetime) -> str:
    """A moment of an audit row: `7 Dec 2026 00:47:35 UTC` (the portal's format, with seconds)."""
    return moment_text(moment, seconds=True)


def iso_utc(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


# Fields the regulatory clock writes from the regime files (never typed by a person): their texts name facts and
# events as the code does, and are shown in words.
REGIME_TEXT_FIELDS = {("reporting.obligation", name) for name in ("note", "rule", "recipient", "clock_start_event")}


@cache
def json_choices() -> dict[tuple[str, str], dict]:
    """JSON fields holding lists of choice codes, by (model label, field): {code: label}."""
    from incidents.models import Harm
    from inventory.models import PersonalData
    from reporting.models import DataSubjectCategory

    return {("incidents.incident", "harms"): dict(Harm.choices),
            ("inventory.aisystem", "personal_data_categories"): dict(PersonalData.choices),
            ("reporting.regulatoryfacts", "personal_data_categories"): dict(PersonalData.choices),
            ("reporting.regulatoryfacts", "data_subject_categories"): dict(DataSubjectCategory.choices)}


def template_words(path: str) -> str:
    """A document template's path in words: `reporting/pdf/v2/notification.html` is "layout 2, notification"."""
    parts = path.split("/")
    layout = parts[-2][1:] if len(parts) > 1 and parts[-2].startswith("v") and parts[-2][1:].isdigit() else "1"
    name = parts[-1].rsplit(".", 1)[0].replace("_", " ")
    return f"Layout {layout}, {name}"


class ValueText:
    """Writes values of changes readably. `labels` = ``{model: {pk: label}}`` of the related rows looked up;
    `reader`: who reads, for the confidential fields (None: nobody cleared, as in an export)."""

    def __init__(self, labels: dict, *, reader):
        self.labels = labels
        self.reader = reader

    def name(self, model, pk) -> str:
        """A related row's name, or what it was if it no longer exists."""
        label = self.labels.get(model, {}).get(pk)
        return label if label is not None else f"{model._meta.verbose_name} #{pk} (deleted)"

    def related(self, model, pk) -> str:
        """A related row as a value of a change: its name and id."""
        if pk is None:
            return EMPTY
        label = self.labels.get(model, {}).get(pk)
        return f"{label} (#{pk})" if label is not None else f"{model._meta.verbose_name} #{pk} (deleted)"

    def withheld(self, spec: HistorySpec, change: Change) -> bool:
        return not confidential.may_read(self.reader, spec.label, change.name)

    def text(self, field, value) -> str:
        if isinstance(field, M2MField):
            if not value:
                return EMPTY
            return "; ".join(sorted(self.related(field.target_model, pk) for pk in value))
        if value is None or value == "":
            return EMPTY
        if field.is_relation:
            return self.related(field.related_model, value)
        if isinstance(field, models.JSONField):
            choices = json_choices().get((field.model._meta.label_lower, field.name))
            if choices is not None and isinstance(value, list):
                return "; ".join(choices.get(v, str(v)) for v in value) or EMPTY
            return json_text(value)
        if field.choices:
            label = dict(field.flatchoices).get(value)
            return f"{label}" if label is not None else str(value)
        if isinstance(value, str) and (field.model._meta.label_lower, field.name) == ("reporting.document", "template"):
            return template_words(value)
        if isinstance(value, str) and (field.model._meta.label_lower, field.name) in REGIME_TEXT_FIELDS:
            from reporting.wording import in_words

            return code_words().get(value) or in_words(value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, dt.datetime):
            return utc_text(value)
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        return str(value)

    def plain(self, field, value):
        """The value as plain JSON, for the export's machine-readable part."""
        if isinstance(field, M2MField) and value is not None:  # None: no earlier version
            return sorted((_plain_scalar(v) for v in value), key=str)
        return _plain_scalar(value)


def _plain_scalar(value):
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(map(_plain_scalar, value), key=str)
    return value
