"""Several app processes behind one address: ``python -m budgeting serve --processes N``.

One Streamlit process uses one core, and a room that scans the projector's QR code at once
needs more. This starts N ``streamlit run app.py`` processes on consecutive ports, all on
the one PostgreSQL database named by ``BUDGET_DB`` (DuckDB allows one process per file, so
it is refused), and HAProxy in front of them on one address. HAProxy keeps each visitor on
the process that holds their session: it sets a cookie on the first response and sends the
websocket (and any download) with that cookie to the same process (HAProxy configuration
manual, "cookie" and "timeout tunnel"). Ctrl-C or SIGTERM stops them all.

HAProxy comes from Debian's package (``apt-get install haproxy``); the command says so when
it is missing.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from budgeting.store.postgres import is_postgres

ROOT = Path(__file__).resolve().parents[1]
FIRST_APP_PORT = 8601
STARTUP_SECONDS = 120
STOP_SECONDS = 15


def _outgoing_ports() -> range:
    """The ports Linux hands to outgoing connections (``ip_local_port_range``; its default
    when the file cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def _listening_ports() -> list[int]:
    """Ports to listen on: outside the outgoing range, so an outgoing connection (an app
    process's own, to PostgreSQL) cannot take one between the choice and the listening;
    from 10000 up, above the usual services, unless the outgoing range leaves none there."""
    outgoing = _outgoing_ports()
    for lowest in (10_000, 1_024):
        ports = [port for port in range(lowest, 65_536) if port not in outgoing]
        if ports:
            return ports
    raise OSError("every port from 1024 up is in the outgoing range (ip_local_port_range)")


def free_consecutive_ports(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive ports nobody listens on at this moment, chosen at
    random among :func:`_listening_ports` (for ``--port`` and ``--first-app-port``: serve
    numbers its app processes from the latter)."""
    candidates = _listening_ports()
    allowed = set(candidates)
    while True:
        # Drawn from the system's randomness, which no test seeds: test workers started
        # together do not draw the same ports.
        first = secrets.choice(candidates)
        if any(first + offset not in allowed for offset in range(count)):
            continue
        probes = [socket.socket() for _ in range(count)]
        try:
            for offset, probe in enumerate(probes):
                probe.bind((host, first + offset))
            return first
        except OSError as failure:
            if failure.errno != errno.EADDRINUSE:  # an address this machine cannot use
                raise
        finally:
            for probe in probes:
                probe.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on at this moment, chosen as :func:`free_consecutive_ports`."""
    return free_consecutive_ports(1, host)


def haproxy_config(address: str, port: int, app_ports: Sequence[int]) -> str:
    """HAProxy's configuration: one front address, the app processes behind it, each
    visitor kept on one process by a cookie, websockets left open for an hour idle."""
    servers = "\n".join(
        f"    server app{n} 127.0.0.1:{app_port} check cookie app{n}"
        for n, app_port in enumerate(app_ports, start=1)
    )
    return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout check 10s

frontend budget_together
    bind {address}:{port}
    default_backend app_processes

backend app_processes
    balance roundrobin
    cookie BT_PROCESS insert indirect nocache httponly
    option httpchk GET /_stcore/health
    default-server inter 2s fall 5
{servers}
"""


def wait_healthy(
    port: int, process: subprocess.Popen[bytes], seconds: float = STARTUP_SECONDS
) -> None:
    """Wait until ``/_stcore/health`` answers on ``port`` (an app process, or HAProxy);
    ``ValueError`` when ``process`` exits first or nothing answers in ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ValueError(f"the process for port {port} exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise ValueError(f"nothing answered on port {port} in {seconds:g} s")


def serve(processes: int, address: str, port: int, *, first_app_port: int = FIRST_APP_PORT) -> None:
    """Run ``processes`` app processes behind HAProxy on ``address:port`` until stopped."""
    database = os.environ.get("BUDGET_DB", "")
    if not is_postgres(database):
        raise ValueError(
            "several processes need the PostgreSQL store: set BUDGET_DB=postgresql://... "
            "(DuckDB allows one process per file)"
        )
    if processes < 1:
        raise ValueError("--processes must be at least 1")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise ValueError("HAProxy is not installed: apt-get install haproxy")
    app_ports = [first_app_port + n for n in range(processes)]
    started: list[subprocess.Popen[bytes]] = []
    # Stopped by a service manager (SIGTERM) as by Ctrl-C: the processes below stop too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    folder = Path(tempfile.mkdtemp(prefix="budget-serve-"))
    try:
        for app_port in app_ports:
            command = [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true",
                "--server.port", str(app_port),
                "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            started.append(subprocess.Popen(command, cwd=ROOT))
        for app_port, process in zip(app_ports, started, strict=True):
            wait_healthy(app_port, process)
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(address, port, app_ports), encoding="utf-8")
        proxy = subprocess.Popen([haproxy, "-f", str(config), "-db"])
        started.append(proxy)
        wait_healthy(port, proxy)
        print(f"Budget Together: {processes} processes on http://{address}:{port}", flush=True)
        proxy.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(started)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(processes: Sequence[subprocess.Popen[bytes]], seconds: float = STOP_SECONDS) -> None:
    """SIGTERM every process still running, wait for them all within one ``seconds``
    deadline, then kill any left: serve itself is stopped well within what a service
    manager (or the load harness) waits for it."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
