"""PostgreSQL for several app processes: the same store over a shared server.

DuckDB allows one process to write a database file, so a second app process (or a second
machine) cannot share it; ``BUDGET_DB=postgresql://...`` selects this module instead. It
gives the store the few connection and cursor methods it uses on DuckDB (``cursor()``,
``execute(sql, params).fetchall()``, ``close()``), so every module of the store runs the
same SQL on both, with the same migrations:

* placeholders are written ``?`` (DuckDB's style) and become ``%s`` (psycopg's);
* ``FROM range(?)``, DuckDB's row generator, becomes ``generate_series(1, %s)``;
* a write transaction first takes one transaction-scoped advisory lock
  (``pg_advisory_xact_lock``), so writes from every process are applied one at a time, as
  DuckDB applies them within one process: "one active ballot per voter code" and the audit
  chain's "next entry follows the last" hold across processes without a retry loop
  (PostgreSQL manual, "Advisory Locks");
* a snapshot read (verifying the audit log against the tables) runs in REPEATABLE READ, so
  every table is read as of one moment (PostgreSQL manual, "Transaction Isolation").

Each cursor borrows a connection from a ``psycopg_pool.ConnectionPool`` and gives it back
on ``close()``; the store closes every cursor it opens.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from typing import Any

import psycopg
from psycopg.types.string import StrDumper
from psycopg_pool import ConnectionPool

POSTGRES_PREFIXES = ("postgresql://", "postgres://")
WRITE_LOCK_KEY = 7_072_027
"""The advisory lock every write transaction holds until it ends (any fixed number)."""
POOL_SIZE = 8
STREAMED_ROWS = 10_000
"""Rows a streamed query (``PostgresCursor.stream``) hands over at a time."""

_PLACEHOLDER = re.compile(r"\?")
_RANGE = re.compile(r"\bFROM range\(\?\)")


def is_postgres(target: str) -> bool:
    """Whether ``target`` (a ``BUDGET_DB`` value) names a PostgreSQL database."""
    return target.startswith(POSTGRES_PREFIXES)


def postgres_sql(sql: str) -> str:
    """The store's DuckDB-style SQL as psycopg takes it (see the module docstring)."""
    sql = _RANGE.sub("FROM generate_series(1, ?)", sql)
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


def _typed_text(connection: psycopg.Connection[Any]) -> None:
    """Send text as ``text``, not psycopg's default "unknown", so a list of codes is a
    ``text[]`` that ``unnest`` can read, as DuckDB reads a list of strings."""
    connection.adapters.register_dumper(str, StrDumper)


def is_duplicate_of(error: BaseException, table: str, column: str) -> bool:
    """Whether PostgreSQL refused a write because ``column`` of ``table`` already holds the
    value (its unique constraint, named ``{table}_{column}_key`` by PostgreSQL's default)."""
    return (
        isinstance(error, psycopg.errors.UniqueViolation)
        and error.diag.constraint_name == f"{table}_{column}_key"
    )


class PostgresCursor:
    """One operation's cursor on a pooled connection (returned to the pool on close)."""

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[Any]],
        column_types: dict[str, dict[str, int]],
    ) -> None:
        self._pool = pool
        self._column_types = column_types
        self._connection = pool.getconn()
        self._cursor = self._connection.cursor()

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PostgresCursor:
        if parameters:
            self._cursor.execute(postgres_sql(sql), list(parameters))
        else:  # without parameters psycopg sends the text as it is (migrations included)
            self._cursor.execute(sql)
        return self

    def begin_write(self) -> None:
        """Start a write transaction: one at a time across every process."""
        self._cursor.execute("BEGIN")
        self._cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])

    def begin_snapshot(self) -> None:
        """Start a read-only transaction that sees every table as of one moment."""
        self._cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._cursor.description is None:
            return []
        return self._cursor.fetchall()

    def stream(self, sql: str, parameters: Sequence[Any]) -> Generator[tuple[Any, ...], None, None]:
        """The rows of a query as the server sends them, ``STREAMED_ROWS`` at a time (psycopg's
        chunked mode), while it computes the rest. The connection takes no other statement
        until the stream is read to the end or closed (``connection.streamed_rows``)."""
        yield from self._cursor.stream(postgres_sql(sql), list(parameters), size=STREAMED_ROWS)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many rows at once with COPY in PostgreSQL's binary format (``table`` and
        ``columns`` are the store's names). Binary rows are written about four times faster
        than text ones (10,000 ballots' 120,000 amounts: 55 against 210 ms); they need each
        column's type, read from the catalogue once per table (``_types_of``)."""
        types = self._types_of(table)
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with self._cursor.copy(sql) as copy:
            copy.set_types([types[column] for column in columns])
            for row in rows:
                copy.write_row(row)

    def _types_of(self, table: str) -> dict[str, int]:
        """Each column of ``table`` with its type's oid, kept for the connection's life (the
        schema is migrated before any write)."""
        if table not in self._column_types:
            self._cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            self._column_types[table] = dict(self._cursor.fetchall())
        return self._column_types[table]

    def close(self) -> None:
        try:
            self._cursor.close()
        finally:
            if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self._connection.rollback()  # never hand a half-done transaction back
            self._pool.putconn(self._connection)


class PostgresConnection:
    """A pool of connections to one PostgreSQL database, opened as the store opens DuckDB."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            configure=_typed_text,
            open=True,
            name="budget-together",
        )
        self._pool.wait(timeout=10)
        self._column_types: dict[str, dict[str, int]] = {}

    def cursor(self) -> PostgresCursor:
        return PostgresCursor(self._pool, self._column_types)

    def close(self) -> None:
        self._pool.close()
