"""Opening the database, running the numbered migrations, and transactions.

The database is an embedded DuckDB file by default, or a PostgreSQL server when
``BUDGET_DB`` is a ``postgresql://`` address (``budgeting.store.postgres``: several app
processes share it). One connection per process (the app caches it); every operation takes
its own ``conn.cursor()`` and fetches its results fully before the cursor is closed. Writes
run in explicit transactions behind one process-wide lock, so concurrent writers from
several threads are serialised instead of failing on DuckDB's optimistic write conflicts;
on PostgreSQL an advisory lock does the same across processes.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from budgeting.store.models import StoreError
from budgeting.store.postgres import (
    PostgresConnection,
    PostgresCursor,
    is_duplicate_of,
    is_postgres,
)


class Cursor(Protocol):
    """What the store asks of a cursor: DuckDB's, or ``postgres.PostgresCursor``."""

    def execute(self, query: str, parameters: Any = None, /) -> Cursor: ...

    def fetchall(self) -> list[Any]: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """What the store asks of a connection: DuckDB's, or ``postgres.PostgresConnection``."""

    def cursor(self) -> Cursor: ...

    def close(self) -> None: ...


DEFAULT_DB_PATH = Path(__file__).resolve().parents[2] / "data" / "budget.duckdb"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

_WRITE_LOCK = threading.RLock()
_DUCKDB_FILES: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = (
    weakref.WeakKeyDictionary()
)
"""The file each DuckDB connection opened (connections to one file share its database)."""
_VALUES_INSERT_LIMIT = 64
WAL_CHECKPOINT = "256MiB"
"""How much DuckDB's write-ahead log grows before its changes are checkpointed into the
file (DuckDB's ``checkpoint_threshold``; its default is 16 MiB). A checkpoint costs about
the same whatever the log holds, and more as the database grows (1.5–2 s at a million
ballots), so the default checkpointed every five 10,000-ballot batches: loading a million
ballots took 90 s with it and 76–78 s with 256 MiB, the last checkpoint counted (README,
Scale). A crash leaves at most this much log to replay when the file is next
opened; closing the database checkpoints it."""


def database_path(path: str | None = None) -> str:
    """The database to open: ``path``, else ``BUDGET_DB``, else ``data/budget.duckdb``."""
    if path:
        return path
    return os.environ.get("BUDGET_DB") or str(DEFAULT_DB_PATH)


def connect(path: str | None = None, *, read_only: bool = False) -> Connection:
    """Open the database (``":memory:"`` allowed, or a ``postgresql://`` address) and bring
    its schema up to date.

    ``read_only`` opens an existing database file as it is, for reading (the command line's
    results): a missing file, a schema older than this program's, or a file another process
    holds (DuckDB allows one process per file while it writes) is a ``StoreError`` saying so.
    A PostgreSQL database is shared by design: it is opened the same way either way.
    """
    target = database_path(path)
    if is_postgres(target):
        return _open_postgres(target)
    if read_only:
        return _open_for_reading(target)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(target, config={"checkpoint_threshold": WAL_CHECKPOINT})
    migrate(conn)
    if target != ":memory:":
        _DUCKDB_FILES[conn] = str(Path(target).resolve())
    return conn


def shared_database(conn: Connection) -> str | None:
    """The database ``conn`` shares with every other connection to it in this process (a
    DuckDB file, a PostgreSQL address); ``None`` for an in-memory database, its own."""
    if isinstance(conn, PostgresConnection):
        return conn.url
    return _DUCKDB_FILES.get(conn) if isinstance(conn, duckdb.DuckDBPyConnection) else None


def _open_postgres(url: str) -> PostgresConnection:
    try:
        conn = PostgresConnection(url)
    except Exception as error:  # psycopg's pool raises its own timeout when it cannot connect
        raise StoreError(f"cannot connect to the PostgreSQL database ({error})") from None
    migrate(conn)
    return conn


def _open_for_reading(target: str) -> duckdb.DuckDBPyConnection:
    if target == ":memory:" or not Path(target).is_file():
        raise StoreError(f"there is no database file at {target}")
    try:
        conn = duckdb.connect(target, read_only=True)
    except duckdb.Error as error:
        raise StoreError(
            f"cannot read {target} ({' '.join(str(error).split())[:120]}); if the app is "
            "running on it, stop the app or read a copy of the file made with its .wal file"
        ) from None
    try:
        version = schema_version(conn)
    except duckdb.Error:
        conn.close()
        raise StoreError(f"{target} is not a Budget Together database") from None
    if version != available_migrations()[-1][0]:
        conn.close()
        raise StoreError(f"{target} has an older schema: start the app on it once to upgrade")
    return conn


def utc_now() -> datetime:
    """The current time as naive UTC, the form every TIMESTAMP column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def read_cursor(conn: Connection) -> Iterator[Cursor]:
    """A fresh cursor for one read operation, closed afterwards."""
    cursor = conn.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


@contextmanager
def streamed_rows(cursor: Cursor, sql: str, parameters: list[Any]) -> Iterator[Iterator[Any]]:
    """The rows of a query, for a caller that handles them one by one inside the ``with``.

    PostgreSQL computes a query in its own process, so its rows are read as they come
    (``PostgresCursor.stream``) and this process turns them into Python objects while the
    server computes the rest: the scores of 1,000,000 ballots were read in 2.5 s fetched
    whole, 1.55 s streamed (``bench/scale.py``). The stream is closed on leaving, read to
    the end or not (an error while handling a row), so the cursor can take its next
    statement (a rollback included). DuckDB computes in this process: fetched whole.
    """
    if isinstance(cursor, PostgresCursor):
        with closing(cursor.stream(sql, parameters)) as rows:
            yield rows
    else:
        yield iter(cursor.execute(sql, parameters).fetchall())


@contextmanager
def read_snapshot(conn: Connection) -> Iterator[Cursor]:
    """A fresh cursor for a read of several queries that must agree (a ballot and its
    rows), all as of one moment even while ballots arrive; rolled back and closed after."""
    with read_cursor(conn) as cursor:
        begin_snapshot(cursor)
        try:
            yield cursor
        finally:
            cursor.execute("ROLLBACK")


def begin_snapshot(cursor: Cursor) -> None:
    """Start a transaction that reads every table as of one moment (to be rolled back)."""
    if isinstance(cursor, PostgresCursor):
        cursor.begin_snapshot()
    else:
        cursor.execute("BEGIN TRANSACTION")  # DuckDB's transactions are snapshots


def is_duplicate(error: BaseException, table: str, column: str) -> bool:
    """Whether a write was refused because ``column`` of ``table``, which must be unique,
    already holds the value (DuckDB names the column in its message; ``table`` and
    ``column`` are the store's names)."""
    if isinstance(error, duckdb.ConstraintException):
        return f'Duplicate key "{column}: ' in str(error)
    return is_duplicate_of(error, table, column)


@contextmanager
def write_transaction(conn: Connection) -> Iterator[Cursor]:
    """A cursor inside BEGIN ... COMMIT; any exception rolls everything back."""
    with _WRITE_LOCK:
        cursor = conn.cursor()
        try:
            if isinstance(cursor, PostgresCursor):
                cursor.begin_write()
            else:
                cursor.execute("BEGIN TRANSACTION")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        finally:
            cursor.close()


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every numbered migration, in order."""
    migrations = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"migration file name {path.name!r} is not NNN_name.sql")
        migrations.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    return migrations


POSTGRES_ONLY = "-- postgresql only:"
"""A line in a migration after which its statements are for PostgreSQL alone."""


def migration_for(conn: Connection, sql: str) -> str:
    """A migration's SQL as this database runs it: DuckDB stops at a ``POSTGRES_ONLY``
    line (indexes DuckDB's zone maps make unnecessary, say); PostgreSQL runs it all."""
    if isinstance(conn, PostgresConnection):
        return sql
    return sql.partition(f"\n{POSTGRES_ONLY}\n")[0]


def migrate(conn: Connection) -> list[int]:
    """Apply every migration not yet recorded in ``schema_migrations``; returns those applied."""
    with write_transaction(conn) as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    applied = []
    for version, name, sql in available_migrations():
        with write_transaction(conn) as cursor:
            done = cursor.execute(
                "SELECT count(*) FROM schema_migrations WHERE version = ?", [version]
            ).fetchall()[0][0]
            if done:
                continue
            cursor.execute(migration_for(conn, sql))
            cursor.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utc_now()]
            )
        applied.append(version)
    return applied


def schema_version(conn: Connection) -> int:
    """The highest migration applied (0 for an empty database)."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    version: int = rows[0][0]
    return version


def insert_rows(
    cursor: Cursor,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]] | list[list[Any]],
) -> None:
    """Insert many rows quickly, inside the caller's ``write_transaction``: one multi-row
    VALUES for a few, an Arrow scan (PostgreSQL: COPY) for many.

    ``table`` and ``columns`` are names from this package, never user input; the values
    are always passed as parameters or Arrow data.
    """
    if not rows:
        return
    if len(rows) <= _VALUES_INSERT_LIMIT:
        column_list = ", ".join(columns)
        row_placeholder = "(" + ", ".join("?" * len(columns)) + ")"
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) VALUES "
            + ", ".join([row_placeholder] * len(rows)),
            [value for row in rows for value in row],
        )
    elif isinstance(cursor, PostgresCursor):
        cursor.copy_rows(table, columns, rows)
    else:
        by_column = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
        _insert_arrow(cursor, table, by_column)


def insert_columns(cursor: Cursor, table: str, columns: dict[str, list[Any]]) -> None:
    """``insert_rows`` for values given column by column (at least one column; each list
    one column, all of the same length), as a bulk write builds them: DuckDB scans the
    lists as Arrow columns without turning them into rows first."""
    count = len(next(iter(columns.values())))
    if count > _VALUES_INSERT_LIMIT and not isinstance(cursor, PostgresCursor):
        _insert_arrow(cursor, table, columns)
    else:
        insert_rows(cursor, table, tuple(columns), list(zip(*columns.values(), strict=True)))


def _insert_arrow(cursor: Cursor, table: str, columns: dict[str, list[Any]]) -> None:
    """Insert columns into a DuckDB table by scanning them as an Arrow table, inside the
    caller's write transaction. An insert that fails (a unique value taken) aborts the
    transaction, and its rollback drops the view: unregistering it then would fail, with an
    error hiding the insert's own."""
    assert isinstance(cursor, duckdb.DuckDBPyConnection)
    column_list = ", ".join(columns)
    view = f"_incoming_{table}"
    cursor.register(view, pa.table(columns))
    cursor.execute(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {view}")
    cursor.unregister(view)
