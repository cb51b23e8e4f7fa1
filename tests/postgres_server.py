"""A throwaway PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a cluster
in a temporary folder, a free port on 127.0.0.1, stopped at the end. Each test gets its own
empty database on it, so tests own their data as they do with DuckDB files.

PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the ``postgres``
user the Debian package creates. Missing binaries fail the tests with a message saying what
to install; they are never skipped silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from budgeting.serve import free_port

SUPERUSER = "budget"


def _binaries() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    pytest.fail(
        "PostgreSQL is not installed: the store's tests run on it too. Install Debian's "
        "postgresql (apt-get install postgresql), as the README's test command does."
    )


def _as_owner(command: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (PostgreSQL will not run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def running_server() -> Iterator[str]:
    """Start a cluster in a new temporary folder (outside pytest's, which only root may
    enter); yields the address of its ``postgres`` database, and removes it all after."""
    binaries = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="budget-postgres-"))
    data = folder / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        ),
        **quiet,
    )
    port = free_port()  # chosen after initdb, just before the server listens on it
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off"
    log = data / "server.log"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w"]
    subprocess.run(_as_owner([*start, "start"]), **quiet)
    try:
        yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_owner(stop), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """An empty database of its own on ``server``, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
