"""Queries compiled to SQL once per database, then run with a different key each time.

Compiling a queryset with subqueries and annotations costs milliseconds of Python on every request that reads
it (the session's user with its permission names, an incident's named sets). `CompiledOnce` compiles the query
once per database with a key no row has (the sentinel), remembers where the sentinel sits among the parameters,
and afterwards only puts the key in its place.
"""

from collections.abc import Callable

from django.db.models import QuerySet

SENTINEL_KEY = -2_100_000_000  # no row has it (keys are positive), and it fits a 32-bit integer key


class CompiledOnce:
    """`build(key)` is the queryset for one key; `sql(alias, key)` its SQL and parameters on database `alias`."""

    def __init__(self, build: Callable[[int], QuerySet]):
        self.build = build
        self._compiled: dict[str, tuple[str, tuple, list[int]]] = {}

    def template(self, alias: str) -> tuple[str, tuple, list[int]]:
        """The SQL compiled for database `alias`, its parameters, and the indexes among them where the key goes."""
        if alias not in self._compiled:
            sql, params = self.build(SENTINEL_KEY).query.get_compiler(using=alias).as_sql()
            where = [i for i, param in enumerate(params) if param == SENTINEL_KEY and not isinstance(param, str)]
            if not where:
                raise ValueError(f"the key is not a parameter of the compiled query: {sql}")
            self._compiled[alias] = sql, tuple(params), where
        return self._compiled[alias]

    def sql(self, alias: str, key) -> tuple[str, list]:
        sql, params, where = self.template(alias)
        bound = list(params)
        for index in where:
            bound[index] = key
        return sql, bound
