"""Paging long lists in a small, constant number of queries that an index serves, at any depth.

- **Orders with ties broken** (`tie_broken`): every list order ends on a unique key. An ordering a reader picks is
  followed by the list's default order as tie-breaker, in the direction that makes the whole order one index read
  forwards or backwards (`severity` is `severity, -detected_at, -id`, and `-severity` its exact reverse).
- **Page numbers with a deferred join** (`page_rows`): the page's ids are read from the index alone
  (`ORDER BY ... OFFSET ... LIMIT` over the ordering columns and the id), then those rows are fetched by primary
  key with their joins and prefetches. A deep page skips index entries, never whole rows with their joins.
- **Counts** (`estimated_count`): an unfiltered list of a large table on PostgreSQL is counted from the planner's
  estimate (`pg_class.reltuples`, kept by autovacuum/ANALYZE), and pages say "about"; a filtered list, a small
  table and SQLite are counted exactly (on SQLite an exact count of 100,000 rows walks the smallest index in a few
  milliseconds, and there is no planner estimate to read).
- **Cursors** (`Keyset`): a cursor names the position after (or before) a row by the values of its ordering
  columns, so the next page is a range read of the index (`detected_at <= v AND (detected_at < v OR id < w)`),
  whatever the depth; rows with equal values are never lost or repeated since the order ends on a unique key.
  A NULL sorts after every value (PostgreSQL's default for ascending order), on both databases.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Q
from django.db.models.expressions import OrderBy

# Below this many rows (the planner's estimate) an unfiltered list is counted exactly even on PostgreSQL.
EXACT_COUNT_BELOW = 10_000


# --- orders -------------------------------------------------------------------------------------------------------

def order_term(term) -> tuple[str, bool] | None:
    """(field name, descending) of an ordering term: "-name", "name", F("name") or an OrderBy of an F; None for
    anything else (an expression, random order)."""
    if isinstance(term, str):
        if term == "?":
            return None
        return term.removeprefix("-"), term.startswith("-")
    if isinstance(term, F):
        return term.name, False
    if isinstance(term, OrderBy) and isinstance(term.expression, F):
        return term.expression.name, term.descending
    return None


def tie_broken(ordering, ties, *, unique=("pk", "id")) -> list:
    """`ordering` followed by the tie-breakers `ties` (the list's default order, ending on a unique key), each
    reversed when the first term runs against its natural direction (ascending, or its direction in `ties`), so
    the whole order is one index (first term, then the ties) read forwards or backwards. An ordering that already
    reaches a unique key is returned as it is."""
    ordering = list(ordering)
    terms = [order_term(term) for term in ordering]
    names = {term[0] for term in terms if term}
    if names & set(unique):
        return ordering
    natural = dict(order_term(tie) for tie in ties)
    first = terms[0] if terms else None
    flip = bool(first) and first[1] != natural.get(first[0], False)
    for name, descending in (order_term(tie) for tie in ties):
        if name not in names:
            ordering.append(("-" if descending != flip else "") + name)
    return ordering


def nulls_last_everywhere(ordering, nullable) -> list:
    """The ordering with the `nullable` fields sorted so that NULL comes after every value ascending and before
    every value descending (PostgreSQL's default; SQLite's is the other way), the same on both databases."""
    out = []
    for term in ordering:
        parsed = order_term(term)
        if parsed and parsed[0] in nullable:
            name, descending = parsed
            out.append(F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True))
        else:
            out.append(term)
    return out


# --- counts and pages ---------------------------------------------------------------------------------------------

def is_unfiltered(queryset) -> bool:
    return not queryset.query.where and not queryset.query.distinct


def estimated_count(queryset) -> tuple[int, bool]:
    """(number of rows, whether it is an estimate). Only an unfiltered queryset of a table the planner estimates at
    `EXACT_COUNT_BELOW` rows or more, on PostgreSQL, is estimated; anything else is counted. One query either way."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql" and is_unfiltered(queryset):
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        with connection.cursor() as cursor:  # one query: the estimate, or the exact count below the threshold
            cursor.execute(
                f"SELECT CASE WHEN estimate >= %s THEN estimate ELSE (SELECT COUNT(*) FROM {table}) END, "  # nosec B608  # noqa: S608
                f"estimate >= %s FROM (SELECT COALESCE((SELECT reltuples::bigint FROM pg_class "
                f"WHERE oid = to_regclass(%s)), -1) AS estimate) AS planner",
                [EXACT_COUNT_BELOW, EXACT_COUNT_BELOW, table])
            number, is_estimate = cursor.fetchone()
        return int(number), bool(is_estimate)
    return queryset.count(), False


def page_ids(queryset, start: int, stop: int) -> list:
    """The primary keys of rows `start` to `stop` in the queryset's order, read from the index of that order."""
    return list(queryset.values_list("pk", flat=True)[start:stop])


def rows_by_ids(queryset, ids) -> list:
    """The rows with these primary keys, fetched with the queryset's joins, annotations and prefetches, in the order
    of `ids` (a row that stopped matching the filters between the two queries is left out)."""
    if not ids:
        return []
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def page_rows(queryset, start: int, stop: int) -> list:
    """Rows `start` to `stop` by a deferred join: two queries, the first an index-only read however deep."""
    return rows_by_ids(queryset, page_ids(queryset, start, stop))


class EstimatedCountPaginator(Paginator):
    """Django's paginator (for the admin changelists) counting with `estimated_count` and reading each page by a
    deferred join. `count_is_estimate` tells the page to say "about"."""

    count_is_estimate = False

    @cached_property
    def count(self):
        number, self.count_is_estimate = estimated_count(self.object_list)
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top += self.orphans  # the last page takes the orphans (not cut at the count: it may be an estimate)
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)


# --- cursors ------------------------------------------------------------------------------------------------------

def _exact(value):
    """A cursor value as text, to the microsecond (Django's JSON encoder rounds times to the millisecond)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class BadCursor(ValueError):
    """A cursor this list did not give out, or gave out for another order."""


@dataclass(frozen=True)
class Key:
    name: str
    descending: bool
    field: object  # the model field, to read a cursor's value back

    @property
    def nullable(self):
        return self.field.null


class Keyset:
    """The keyset of a queryset's order: its terms must be model fields of the queryset's model and the last one
    unique (see `tie_broken`)."""

    def __init__(self, queryset):
        self.queryset = queryset
        opts = queryset.model._meta
        keys = []
        for term in queryset.query.order_by or opts.ordering:
            parsed = order_term(term)
            if parsed is None:
                raise BadCursor("This order cannot be walked with a cursor.")
            name, descending = parsed
            field = opts.pk if name == "pk" else opts.get_field(name)
            if field.is_relation:
                raise BadCursor(f"The order by {name} cannot be walked with a cursor.")
            keys.append(Key(field.attname, descending, field))
        if not keys or not (keys[-1].field.unique or keys[-1].field.primary_key):
            raise BadCursor("This order cannot be walked with a cursor: it does not end on a unique field.")
        self.keys = keys

    @property
    def names(self):
        return [("-" if key.descending else "") + key.name for key in self.keys]

    # A cursor: base64url of JSON {"o": order, "v": values of the row, "b": 1 when it points backwards}.
    def encode(self, row, *, backwards=False) -> str:
        values = [getattr(row, key.name) for key in self.keys]
        payload = {"o": self.names, "v": values, **({"b": 1} if backwards else {})}
        text = json.dumps(payload, default=_exact, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, token: str) -> tuple[list, bool]:
        """(values, backwards) of a cursor; `BadCursor` saying why when it is not one of this list's cursors."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            order, values, backwards = payload["o"], payload["v"], bool(payload.get("b", 0))
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise BadCursor("Not a cursor this list gave out: use the `next` or `previous` link of a page.") from exc
        if order != self.names:
            raise BadCursor("This cursor was given out for another order: walk with the same `ordering` (and "
                            "filters) as the page that gave it, or start again without a cursor.")
        if not isinstance(values, list) or len(values) != len(self.keys):
            raise BadCursor("Not a cursor this list gave out: use the `next` or `previous` link of a page.")
        try:
            values = [None if value is None else key.field.to_python(value)
                      for key, value in zip(self.keys, values, strict=True)]
        except (ValidationError, TypeError, ValueError) as exc:
            raise BadCursor("Not a cursor this list gave out: its values do not fit this list.") from exc
        if any(value is None and not key.nullable for key, value in zip(self.keys, values, strict=True)):
            raise BadCursor("Not a cursor this list gave out: its values do not fit this list.")
        return values, backwards

    def _after(self, values, backwards) -> Q:
        """Rows strictly after `values` in the walking direction (before them when walking backwards)."""
        after, equal = Q(pk__in=[]), Q()
        for key, value in zip(self.keys, values, strict=True):
            descending = key.descending != backwards
            if value is None:  # NULL is after every value ascending
                later = Q(**{f"{key.name}__isnull": False}) if descending else Q(pk__in=[])
                same = Q(**{f"{key.name}__isnull": True})
            else:
                later = Q(**{f"{key.name}__{'lt' if descending else 'gt'}": value})
                if key.nullable and not descending:
                    later |= Q(**{f"{key.name}__isnull": True})
                same = Q(**{key.name: value})
            after |= equal & later
            equal &= same
        first, value = self.keys[0], values[0]
        if value is not None:  # the same condition on the first column alone, as a range the index seeks to
            bound = Q(**{f"{first.name}__{'lte' if first.descending != backwards else 'gte'}": value})
            if first.nullable and first.descending == backwards:
                bound |= Q(**{f"{first.name}__isnull": True})
            after &= bound
        return after

    def _ordering(self, backwards):
        terms = []
        for key in self.keys:
            descending = key.descending != backwards
            if key.nullable:
                terms.append(F(key.name).desc(nulls_first=True) if descending else F(key.name).asc(nulls_last=True))
            else:
                terms.append(("-" if descending else "") + key.name)
        return terms

    def page(self, token: str | None, size: int):
        """(rows, next cursor or None, previous cursor or None) of the page a cursor points to (the first page
        for none). One query: `size + 1` rows in the index's order."""
        queryset = self.queryset
        values, backwards = self.decode(token) if token else (None, False)
        if values is not None:
            queryset = queryset.filter(self._after(values, backwards))
        rows = list(queryset.order_by(*self._ordering(backwards))[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        has_next = more if not backwards else True
        has_previous = (values is not None) if not backwards else more
        next_cursor = self.encode(rows[-1]) if rows and has_next else None
        previous_cursor = self.encode(rows[0], backwards=True) if rows and has_previous else None
        return rows, next_cursor, previous_cursor
