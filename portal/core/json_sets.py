"""Related sets carried in their parent's query, one JSON array per set, and turned back into model instances.

A detail that shows several kinds of related records (an incident's timeline, checklist, evidence and its custody,
...) would otherwise run one query per kind. Each kind becomes a correlated subquery in the parent's own query that
aggregates its rows as JSON objects (PostgreSQL `JSONB_AGG(JSONB_BUILD_OBJECT(...))`, SQLite
`JSON_GROUP_ARRAY(JSON_OBJECT(...))`), so the parent and every set it shows are read in one query.

`JsonSet.annotation()` is that subquery; `attach()` turns each array back into instances of the set's model (every
concrete field, converted as a query would return it), in the order of the model's `Meta.ordering`, with the
foreign keys named in `related` loaded with the fields given (the others deferred: reading them would query), and
keeps them as the prefetched set of their owner, so reading the set runs no query.

Only for sets read whole for one parent (a detail), not for lists: the arrays are built per parent row.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import models
from django.db.models import F, Func
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

from portal.core.compiled import CompiledOnce


class _JsonArray(Func):
    """The rows of a subquery as one JSON array. Django sees a plain function, so the subquery gets no GROUP BY: it
    aggregates all its rows into one."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class _AsJson(Func):
    """A JSON column as a JSON value inside `JSON_OBJECT` on SQLite, which would otherwise embed its text as a
    string; PostgreSQL's jsonb columns embed as they are."""

    function = "JSON"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (a query's expressions hash their arguments)
class JsonSet:
    """A related set carried in the parent's query.

    `name` is the set's accessor on its owner (`timeline`, `custody`); `model` the set's model; `link` the lookup
    from the model to the parent's primary key (`incident`, `evidence__incident`): its first step is the foreign
    key to the owner. `owner` is where the set belongs when it is not the parent itself: a single-step accessor of
    the parent, a related object or set (`evidence`, `review`), attached before this set. `related` names the
    foreign keys to load with each row and the fields of each (`{"actor": ("username",)}`)."""

    name: str
    model: type[models.Model]
    link: str
    owner: str = ""
    related: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def annotation_name(self) -> str:
        return f"{self.owner}_{self.name}_json" if self.owner else f"{self.name}_json"

    def annotation(self) -> "_SetArray":
        """The correlated subquery that reads the set of the parent row as a JSON array (NULL or `[]` when it is
        empty)."""
        return _SetArray(self)

    def rows(self, parent_pk):
        """The set's rows for the parent with primary key `parent_pk`, as one JSON array (a queryset of one row)."""
        columns = {}
        for model_field in self.model._meta.concrete_fields:
            value = F(model_field.attname)
            columns[model_field.attname] = _AsJson(value) if isinstance(model_field, models.JSONField) else value
        for foreign_key, names in self.related.items():
            for name in names:
                columns[f"{foreign_key}__{name}"] = F(f"{foreign_key}__{name}")
        rows = self.model._base_manager.filter(**{self.link: parent_pk}).order_by()
        return rows.values(rows_json=_JsonArray(JSONObject(**columns)))

    @property
    def key(self) -> tuple:
        return (self.model._meta.label, self.link, self.name, self.owner, tuple(sorted(self.related.items())))


# The SQL of each set's subquery, by set and database alias: compiled once (`CompiledOnce`), the placeholder of the
# parent's key then replaced by `_OUTER_PK`, which names the parent's key column of the query it is used in.
_COMPILED: dict[tuple, tuple[str, tuple]] = {}
_QUERIES: dict[tuple, CompiledOnce] = {}
_OUTER_PK = "\x00outer-pk\x00"
_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _compiled(json_set: JsonSet, alias: str) -> tuple[str, tuple]:
    key = (*json_set.key, alias)
    if key not in _COMPILED:
        query = _QUERIES.setdefault(json_set.key, CompiledOnce(json_set.rows))
        sql, params, where = query.template(alias)
        pieces = _PLACEHOLDER.split(sql)
        if len(where) != 1 or len(pieces) != len(params) + 1:
            raise ValueError(f"cannot compile the set {json_set.name} once: {sql}")
        index = where[0]
        sql = "%s".join(pieces[:index + 1]) + _OUTER_PK + "%s".join(pieces[index + 1:])
        _COMPILED[key] = sql, params[:index] + params[index + 1:]
    return _COMPILED[key]


class _SetArray(models.Expression):
    """A set's JSON array as a correlated subquery of its parent's query. Its SQL is compiled once per database
    (`_compiled`): the parent's query, compiled on every read, only names its own key column in it."""

    output_field = models.JSONField()

    def __init__(self, json_set: JsonSet):
        super().__init__()
        self.json_set = json_set

    def as_sql(self, compiler, connection):
        sql, params = _compiled(self.json_set, connection.alias)
        parent = compiler.query.get_initial_alias()
        column = compiler.query.model._meta.pk.column
        outer = f"{compiler.quote_name_unless_alias(parent)}.{connection.ops.quote_name(column)}"
        return f"({sql.replace(_OUTER_PK, outer)})", params

    def get_group_by_cols(self):
        return []


def keep_loaded(instance, name: str, objects: list) -> None:
    """Keep `objects` as the related set `name` of `instance`, as a prefetch would: reading it runs no query."""
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = objects, True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def annotate(queryset, sets):
    """`queryset` with the JSON array of each set in `sets`."""
    return queryset.annotate(**{json_set.annotation_name: json_set.annotation() for json_set in sets})


def attach(parent, sets) -> None:
    """Turn the JSON arrays `annotate` added to `parent` into the prefetched sets of their owners, in order: a set
    whose owner is another set comes after it."""
    db = parent._state.db
    for json_set in sets:
        rows = getattr(parent, json_set.annotation_name) or []
        key = json_set.model._meta.get_field(json_set.link.split("__")[0])
        fields = json_set.model._meta.concrete_fields
        names = [model_field.attname for model_field in fields]
        members = {}
        for row in rows:
            instance = _instance(json_set, fields, names, row, db)
            members.setdefault(getattr(instance, key.attname), []).append(instance)
        for owner in _owners(parent, json_set.owner):
            objects = _in_model_order(json_set.model, members.get(owner.pk, []))
            for instance in objects:
                key.set_cached_value(instance, owner)
            keep_loaded(owner, json_set.name, objects)


def _owners(parent, owner: str) -> list:
    if not owner:
        return [parent]
    value = getattr(parent, owner, None)
    if value is None:
        return []
    return list(value.all()) if hasattr(value, "all") else [value]


def _instance(json_set: JsonSet, fields, names: list[str], row: dict, db: str):
    model = json_set.model
    instance = model.from_db(db, names, [_python(model_field, row[name]) for model_field, name in zip(
        fields, names, strict=True)])
    for foreign_key, wanted in json_set.related.items():
        link = model._meta.get_field(foreign_key)
        target_id = getattr(instance, link.attname)
        related = None
        if target_id is not None:
            target = link.related_model
            loaded = [target._meta.pk, *(target._meta.get_field(name) for name in wanted)]
            related = target.from_db(db, [f.attname for f in loaded],
                                     [target_id, *(_python(f, row[f"{foreign_key}__{f.name}"]) for f in loaded[1:])])
        link.set_cached_value(instance, related)
    return instance


def _python(model_field, value):
    """A value of `model_field` as read from JSON, as the field's query would return it."""
    if value is None:
        return None
    if isinstance(model_field, models.DateTimeField):
        moment = parse_datetime(value)  # PostgreSQL writes the offset; SQLite stores UTC without one
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    if isinstance(model_field, models.JSONField):
        return value
    if isinstance(model_field, models.BinaryField):
        raise TypeError(f"{model_field} cannot be carried as JSON")
    return model_field.to_python(value)


def _in_model_order(model, objects: list) -> list:
    """`objects` in the order of `model`'s `Meta.ordering` (by the column of a foreign key; no value sorts last),
    as the query of a prefetch would list them."""
    ordered = list(objects)
    for entry in reversed(model._meta.ordering):
        name = entry.lstrip("-")
        attname = model._meta.get_field(name).attname
        ordered.sort(key=lambda instance, attname=attname: _sort_key(getattr(instance, attname)),
                     reverse=entry.startswith("-"))
    return ordered


def _sort_key(value):
    return (value is None, value)
