"""The vote's statements, run on the driver's cursor: Core statements compiled once per
dialect, executed without SQLAlchemy's per-statement execution machinery.

Measured on the vote (``bench/votes.py``, py-spy and an in-process loop): SQLAlchemy's
execution context (its cache lookup, parameter processing, result set-up and the ORM's
row loading) cost more CPU than the database's own work, for statements that are always
the same few. ``exec_driver_sql`` still builds that context and saved nothing; going to
the cursor halved the vote's operation. So the hot statements are written as Core (the
schema's names and types, read like every other query) and compiled here once; each run
then only maps its parameters in order, through the column types' own bind processors
(a datetime becomes SQLite's text, for instance), and maps a read row back through the
selected columns' result processors, as SQLAlchemy would.

What SQLAlchemy's execution gives the rest of the app, this keeps: the statements run on
the session's own connection, inside its transaction (the request still commits once, at
its boundary); listeners of ``before_cursor_execute`` see every statement (the tests count
a vote's queries with one); and the driver's errors arrive as SQLAlchemy's ``DBAPIError``
family (a unique key lost to a race is the same ``IntegrityError`` everywhere), with a
dropped connection invalidated so the pool does not hand it out again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None


class Compiled:
    """One statement for one dialect: its SQL text, the order of its parameters (for a
    positional paramstyle such as SQLite's), their processors and the values of its
    literal parameters (a ``+ 1`` becomes a bound parameter too), and the result
    processors of what it selects or returns."""

    __slots__ = ("sql", "names", "binds", "defaults", "results")

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            # An IN list or a literal rendered per call: the SQL changes per run.
            raise ValueError("direct_sql runs statements whose SQL is the same every time")
        prefetch = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if prefetch:
            # A column default or onupdate computed in Python (an ``updated_at``): SQLAlchemy
            # computes it per execution, the cursor would not. The statement sets it.
            names = ", ".join(str(column) for column in prefetch)
            raise ValueError(f"set these columns in the statement itself: {names}")
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.binds: dict[str, _Processor] = {
            bind.key: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind in compiled.binds.values()
        }
        self.defaults = {
            name: value
            for name, value in compiled.construct_params(_check=False).items()
            if value is not None
        }
        # What a SELECT selects or a DML statement returns (none for text).
        columns = getattr(statement, "exported_columns", ())
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self.results = processors if any(processors) else None

    def parameters(self, given: Mapping[str, Any]) -> Any:
        """The driver's parameters: a list in order for a positional paramstyle, else a
        mapping; each value through its column type's bind processor."""
        values = {**self.defaults, **given} if self.defaults else given
        binds = self.binds
        if self.names is not None:
            return [_processed(binds.get(name), values[name]) for name in self.names]
        return {name: _processed(binds.get(name), value) for name, value in values.items()}

    def row(self, raw: Any) -> tuple[Any, ...] | None:
        if raw is None or self.results is None:
            return raw
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self.results, raw, strict=True)
        )


def _processed(process: _Processor, value: Any) -> Any:
    return value if process is None or value is None else process(value)


_compiled: dict[tuple[int, str], tuple[Any, Compiled]] = {}


def compiled(statement: Any, dialect: Dialect) -> Compiled:
    """The statement compiled for ``dialect``, once. Keyed by the statement object itself
    (it is held here, so its id is never reused): these are module-level statements."""
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is None:
        found = _compiled[key] = (statement, Compiled(statement, dialect))
    return found[1]


def _execute(connection: Connection, prepared: Compiled, params: Mapping[str, Any]) -> Any:
    """Run a compiled statement on a new cursor of the connection; the cursor, to fetch
    from."""
    dialect = connection.dialect
    sql, parameters = prepared.sql, prepared.parameters(params)
    dbapi_connection = connection.connection.driver_connection
    cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
    for listener in connection.dispatch.before_cursor_execute:
        sql, parameters = listener(connection, cursor, sql, parameters, None, False)
    try:
        cursor.execute(sql, parameters)
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            parameters,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from exc
    return cursor


def first(connection: Connection, statement: Any, params: Mapping[str, Any]) -> Any:
    """The first row ``statement`` reads or returns, as a tuple through the columns'
    result processors; None when there is none."""
    prepared = compiled(statement, connection.dialect)
    cursor = _execute(connection, prepared, params)
    try:
        return prepared.row(cursor.fetchone())
    finally:
        cursor.close()


def run(connection: Connection, statement: Any, params: Mapping[str, Any]) -> None:
    """Run a statement that returns nothing."""
    _execute(connection, compiled(statement, connection.dialect), params).close()
