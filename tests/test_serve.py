"""Several app processes behind HAProxy on one PostgreSQL database
(``python -m budgeting serve``): visitors are spread over the processes and each stays on
the one that holds their session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from budgeting.serve import (
    _outgoing_ports,
    _stop,
    free_consecutive_ports,
    free_port,
    haproxy_config,
)
from tests.postgres_server import fresh_database, running_server

ROOT = Path(__file__).resolve().parents[1]


def test_the_proxy_keeps_a_visitor_on_one_process_and_holds_websockets_open():
    config = haproxy_config("127.0.0.1", 8500, [8601, 8602])
    assert "bind 127.0.0.1:8500" in config
    assert "server app1 127.0.0.1:8601 check cookie app1" in config
    assert "server app2 127.0.0.1:8602 check cookie app2" in config
    assert "cookie BT_PROCESS insert indirect nocache" in config
    assert "timeout tunnel 1h" in config
    # A health answer slowed by a busy process is waited for, and only five failures in a
    # row take a process out of the rotation.
    assert "timeout check 10s" in config
    assert "default-server inter 2s fall 5" in config


def test_several_processes_need_postgresql(tmp_path):
    environment = {**os.environ, "BUDGET_DB": str(tmp_path / "budget.duckdb")}
    refused = subprocess.run(
        [sys.executable, "-m", "budgeting", "serve", "--processes", "2"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "several processes need the PostgreSQL store" in refused.stderr


@pytest.mark.postgres
def test_two_processes_answer_behind_one_address():
    with running_server() as server, fresh_database(server) as url:
        # Chosen together (HAProxy's port, then the two app processes'), just before use.
        port = free_consecutive_ports(3)
        first_app = port + 1
        command = [
            sys.executable, "-m", "budgeting", "serve", "--processes", "2",
            "--port", str(port), "--first-app-port", str(first_app),
        ]  # fmt: skip
        serving = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "BUDGET_DB": url, "BUDGET_DEMO": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            said = []
            for line in serving.stdout:
                said.append(line)
                if "processes on" in line:
                    break
            assert said and "processes on" in said[-1], (
                "serve stopped before it was ready:\n" + "".join(said[-20:])
            )
            cookies = []
            for _ in range(4):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as reply:
                    cookies.append(reply.headers.get("Set-Cookie", "").split(";")[0])
            assert (
                cookies == ["BT_PROCESS=app1", "BT_PROCESS=app2"] * 2
                or cookies
                == [
                    "BT_PROCESS=app2",
                    "BT_PROCESS=app1",
                ]
                * 2
            )
            again = urllib.request.Request(
                f"http://127.0.0.1:{port}/", headers={"Cookie": "BT_PROCESS=app2"}
            )
            with urllib.request.urlopen(again, timeout=30) as reply:
                assert reply.status == 200
                assert reply.headers.get("Set-Cookie") is None  # kept on app2, not moved
        finally:
            serving.terminate()  # as a service manager stops it: the app processes stop too
            try:
                serving.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serving.kill()
                raise
        still_running = subprocess.run(
            ["pgrep", "-f", "--", f"--server.port {first_app}"], capture_output=True, check=False
        )
        assert still_running.returncode == 1, "an app process outlived serve"


def test_the_ports_for_the_app_processes_are_all_free():
    first = free_consecutive_ports(3)
    probes = [socket.socket() for _ in range(3)]
    try:
        for offset, probe in enumerate(probes):
            probe.bind(("127.0.0.1", first + offset))
    finally:
        for probe in probes:
            probe.close()


def test_a_chosen_port_is_one_no_outgoing_connection_can_take_first():
    # Found in CI: HAProxy's port, chosen by the system among the outgoing ports, was taken
    # by an app process's own connection to PostgreSQL before HAProxy could listen on it.
    outgoing = _outgoing_ports()
    for _ in range(20):
        assert free_port() not in outgoing
        first = free_consecutive_ports(3)
        assert first not in outgoing and first + 2 not in outgoing


def test_stopping_kills_what_ignores_sigterm():
    ignoring = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print(1, flush=True); time.sleep(600)"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", ignoring], stdout=subprocess.PIPE) for _ in range(2)
    ]
    for process in processes:
        process.stdout.readline()  # its handler is set
    _stop(processes, seconds=0.5)
    assert [process.returncode for process in processes] == [-9, -9]
