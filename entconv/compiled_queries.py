"""Querysets compiled to SQL once per process, then run again with other values.

Building a queryset (filter, annotate, Subquery, Exists…) and compiling it to SQL costs far
more CPU than the database takes to answer a lookup by key: about 5 ms of a page that is
otherwise served from the cache. A CompiledQuery builds its queryset once, with stand-in
values, keeps the SQL and its compiler, and at each call puts the real values in their
places and lets Django's own iterable build the instances (select_related rows, annotations,
prefetches) exactly as the queryset would have.

The places are found by compiling the queryset twice, with two different sets of stand-ins:
the SQL must be the same, and every parameter that differs must be one of the stand-ins,
passed unchanged. A queryset whose SQL depends on the values (None, a list, a value the
lookup transforms) is refused when it is first compiled, and a None value runs through the
ORM as usual.

On PostgreSQL the SQL then runs as a prepared statement, bound by the server: parsed and
planned once per connection (CONN_MAX_AGE keeps it), where planning the page's draft query
alone took 0.75 ms of PostgreSQL's processor for 0.14 ms of execution. Django leaves
prepared statements off (connection poolers in transaction mode cannot keep them); only
these queries use them, and entconv's deployment has no such pooler (README, Production).
"""

import copy
from contextlib import contextmanager, nullcontext
from functools import cache

from django.db import connections

# Stand-ins within a 32-bit integer's range (Django turns an exact lookup on an out-of-range
# integer into an empty result, not a parameter), far from any id or constant of ours.
INT_STAND_INS = (-730_000_001, -730_100_001)
# The attribute of a database connection that keeps the converters of the compiled queries.
CONVERTERS_ATTRIBUTE = "_compiled_query_converters"


def stand_in(value, index, variant):
    if type(value) is int:
        return INT_STAND_INS[variant] - index
    if type(value) is str:
        return f"\x00stand-in {variant} {index}\x00"
    raise TypeError(f"CompiledQuery takes int and str values, not {type(value).__name__}")


class CompiledQuery:
    """`build(*values)` returns the queryset; calling the CompiledQuery with values returns
    the list of its rows, as `list(build(*values))` would."""

    def __init__(self, build):
        self.build = build
        self.compiled = {}

    def __call__(self, *values):
        if any(value is None for value in values):
            return list(self.build(*values))
        key = tuple(type(value) for value in values)
        if key not in self.compiled:
            self.compiled[key] = self.compile(values)
        queryset, compiler, sql, slots, constants = self.compiled[key]
        params = tuple(
            constants[position] if slot is None else values[slot]
            for position, slot in enumerate(slots)
        )
        run = queryset._chain()
        # Each thread has its own connection: the compiler is bound to this one.
        bound = copy.copy(compiler)
        bound.connection = connections[run.db]
        bound.as_sql = lambda *args, **kwargs: (sql, params)
        bound.get_converters = self.converters_of(key, compiler, bound.connection)
        # The query's clone (which Django's iterable compiles) answers with that compiler.
        run.query.get_compiler = lambda *args, **kwargs: bound
        with prepared(bound.connection):
            return list(run)

    def converters_of(self, key, compiler, connection):
        """get_converters() for the compiled form `key` on `connection`: the converters of
        its columns (dates on SQLite, JSON, decimals…) are looked up once, not at each call,
        where they cost as much as building the rows' models; other expressions are looked
        up as usual."""
        # Kept on the connection (each thread has its own), and gone with it: the backend's
        # converters are methods of that connection's operations.
        known = connection.__dict__.setdefault(CONVERTERS_ATTRIBUTE, {})
        if (self, key) not in known:
            columns = [column for column, *_ in compiler.select[: compiler.col_count]]
            known[self, key] = (columns, self.lookup(compiler, connection, columns))
        columns, converters = known[self, key]

        def get_converters(expressions):
            if len(expressions) == len(columns) and all(
                expression is column
                for expression, column in zip(expressions, columns, strict=True)
            ):
                return converters
            return self.lookup(compiler, connection, expressions)

        return get_converters

    @staticmethod
    def lookup(compiler, connection, expressions):
        looked_up = copy.copy(compiler)
        looked_up.connection = connection
        return type(compiler).get_converters(looked_up, expressions)

    def compile(self, values):
        first, second = (
            self.build(*(stand_in(value, i, variant) for i, value in enumerate(values)))
            for variant in (0, 1)
        )
        using = first.db
        compiler = first.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        other_sql, other_params = second.query.get_compiler(using=using).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("CompiledQuery: the SQL depends on the values")
        slots = []
        for param, other in zip(params, other_params, strict=True):
            if type(param) is type(other) and param == other:
                slots.append(None)
                continue
            slot = next(
                (
                    i
                    for i, value in enumerate(values)
                    if param == stand_in(value, i, 0) and other == stand_in(value, i, 1)
                ),
                None,
            )
            if slot is None:
                raise ValueError(f"CompiledQuery: a parameter derived from a value: {param!r}")
            slots.append(slot)
        missing = set(range(len(values))) - set(slots)
        if missing:
            raise ValueError(f"CompiledQuery: values {sorted(missing)} are not in the SQL")
        return first, compiler, sql, tuple(slots), tuple(params)


@cache
def prepared_cursor_class():
    """A server-binding cursor whose every query is prepared (built once, on first use:
    importing the PostgreSQL backend needs psycopg)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


@contextmanager
def _prepared_cursors(connection):
    connection.ensure_connection()
    raw = connection.connection
    # Each thread has its own connection: its settings are changed for this call only.
    # psycopg prepares nothing while the threshold is None (Django's setting).
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = prepared_cursor_class(), 0
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold


def prepared(connection):
    """Within it, the connection's queries run as prepared statements (PostgreSQL only)."""
    return _prepared_cursors(connection) if connection.vendor == "postgresql" else nullcontext()
