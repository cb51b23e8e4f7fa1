"""Load harness: browser-less residents and projectors over Streamlit's own websocket protocol.

Each session opens ``/_stcore/stream`` on 127.0.0.1 as the browser does and speaks the
protobuf messages of the ``streamlit`` package: a ``BackMsg`` ``rerun_script`` (a
``ClientState``: query string, page, widget states, cached message hashes) for every page
load or interaction, and it reads ``ForwardMsg`` deltas until ``script_finished``. Widgets
are found by their key: Streamlit's element ids end in ``-<key>``
(``streamlit/elements/lib/utils.py``). Like the browser it keeps the values of widgets it
has changed while they stay on the page (taking the value the page sets, ``set_value``),
sends a button press as a trigger, reports the hashes of cached messages and resolves
``ref_hash`` messages, and reruns a ``run_every`` fragment when told (``auto_rerun``).

A resident does what the ballot asks on a phone: open ``/vote?round=...``, type a voter
code and Continue, type one service's amount, Balance, Next, tick two projects, Next, Send,
and read the receipt. Projectors open ``/results?round=...`` and stay, receiving the
fragment's refresh every 3 s. After each setup every receipt is looked up in the store.

    .venv/bin/python bench/load.py [--residents 10,50,100,200] [--projectors 3]
        [--store duckdb,postgresql] [--processes 1,2] [--think 1.0] [--arrival 0]
        [--time-limit 300] [--one-at-a-time]

``--one-at-a-time`` sends each resident after the previous one has finished, with no
projectors and no pauses, and adds a table of the server's CPU per step (the mean over the
residents): where a journey's cost goes, with no other session in the way.

Setups: ``duckdb`` is one ``streamlit run app.py`` on a DuckDB file; ``postgresql`` is
``python -m budgeting serve --processes N`` (HAProxy in front) on a throwaway PostgreSQL
server (``tests/postgres_server.py``), once per N. Each setup gets a new database with the
demo round and enough fresh voter codes, a warm-up journey per process, and a short
projectors-only phase that measures what an open projector costs. Server CPU is read from
``/proc`` for the app processes, HAProxy and (for PostgreSQL) the database server.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402  (Streamlit's own dependency)
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.NumberInput_pb2 import NumberInput  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from budgeting.serve import free_consecutive_ports, wait_healthy  # noqa: E402
from budgeting.ui.drawings import name_of  # noqa: E402

HOST = "127.0.0.1"
STEP_TIMEOUT = 120.0
RESIDENT_STEPS = ("open", "code", "amount", "balance", "to projects", "tick", "to review", "send")
MAX_RESIDENTS = 500
SETTLE_SECONDS = 0.05
"""One at a time, how long after a step's run the server's CPU is read (its last sends)."""
MAX_PROJECTORS = 20
ID_PREFIX = "$$ID-"

# ------------------------------------------------------------------ protocol (no network)


def key_of(element_id: str) -> str | None:
    """The user key in a Streamlit element id (``$$ID-<hash>-<key>``), None without one."""
    if not element_id.startswith(ID_PREFIX):
        return None
    parts = element_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


def widget_state(widget_id: str, value: Any) -> WidgetState:
    """A widget's value as the browser sends it: text as ``string_value``, a whole number
    as ``int_value`` (an ``int`` number input), a float as ``double_value``, a tick as
    ``bool_value``, a slider's value (a list) as ``double_array_value``."""
    state = WidgetState(id=widget_id)
    if isinstance(value, list):
        state.double_array_value.data.extend(float(number) for number in value)
    elif isinstance(value, bool):
        state.bool_value = value
    elif isinstance(value, int):
        state.int_value = value
    elif isinstance(value, float):
        state.double_value = value
    elif isinstance(value, str):
        state.string_value = value
    else:
        raise TypeError(f"no widget value of type {type(value).__name__}")
    return state


def trigger_state(widget_id: str) -> WidgetState:
    """A button press (``st.button``): a trigger, true for one run only."""
    return WidgetState(id=widget_id, trigger_value=True)


def rerun_message(
    *,
    query_string: str,
    page_script_hash: str,
    page_name: str,
    widgets: Iterable[WidgetState],
    cached_hashes: Iterable[str] = (),
    fragment_id: str = "",
    is_auto_rerun: bool = False,
    url: str = "",
) -> BackMsg:
    """The ``BackMsg`` the browser sends to run the page (or one fragment) again."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_script_hash
    state.page_name = page_name
    state.widget_states.widgets.extend(widgets)
    state.cached_message_hashes.extend(cached_hashes)
    if fragment_id:
        state.fragment_id = fragment_id
        state.is_auto_rerun = is_auto_rerun
    if url:
        state.context_info.url = url
        state.context_info.timezone = "Europe/London"
        state.context_info.locale = "en-GB"
    return message


@dataclass
class Widget:
    id: str
    kind: str  # the element's oneof name: "text_input", "button", "checkbox", ...
    proto: Any
    fragment_id: str = ""  # the ``st.fragment`` that drew it ("" for the page itself)

    def current(self) -> Any:
        """The value the page shows: the one it set (``set_value``), else the default."""
        proto = self.proto
        if self.kind == "slider":
            values = proto.value if proto.set_value else proto.default
            return values[0] if values else proto.min
        if self.kind in ("number_input", "text_input", "checkbox"):
            if proto.set_value:
                return proto.value
            return proto.default
        return None

    def state(self) -> WidgetState | None:
        """The value shown, as the browser sends it with every tap (None for a button)."""
        value = self.current()
        if value is None:
            return None
        if self.kind == "slider":
            return widget_state(self.id, [value])
        if self.kind == "number_input":
            value = int(value) if self.proto.data_type == NumberInput.INT else float(value)
        return widget_state(self.id, value)


class Client:
    """What a browser tab keeps for one session: the page, the widgets of the last run,
    the values it has changed, the message cache, and the fragment to rerun on a timer.
    Fed ``ForwardMsg`` objects; makes the ``BackMsg`` for the next interaction."""

    def __init__(self, page_name: str, query_string: str, url: str = "") -> None:
        self.page_name = page_name
        self.query_string = query_string
        self.url = url
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.drawn_texts: list[tuple[str, str]] = []  # (fragment id, markdown)
        self.kept: dict[str, WidgetState] = {}
        self.cache: dict[str, ForwardMsg] = {}
        self.auto_rerun: tuple[float, str] | None = None
        self.exceptions: list[str] = []
        self.page_title = ""
        self._run_widgets: dict[str, Widget] = {}
        self._run_texts: list[tuple[str, str]] = []
        self._fragment: str | None = None

    @property
    def texts(self) -> list[str]:
        return [body for _, body in self.drawn_texts]

    def begin_run(self, fragment_id: str | None = None) -> None:
        """A run starts: of the whole page, or of the fragment ``fragment_id`` only."""
        self._run_widgets, self._run_texts, self._fragment = {}, [], fragment_id

    def receive(self, message: ForwardMsg) -> int | None:
        """Take one message; the ``script_finished`` status when the run ended, else None."""
        if message.HasField("ref_hash"):
            cached = self.cache.get(message.ref_hash)
            if cached is None:
                self.exceptions.append(f"unknown ref_hash {message.ref_hash}")
                return None
            message = cached
        elif message.metadata.cacheable and message.hash:
            self.cache[message.hash] = message
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = message.new_session.page_script_hash
        elif kind == "navigation":  # st.navigation names the page actually shown
            self.page_script_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "page_config_changed":  # app.py's st.set_page_config
            self.page_title = message.page_config_changed.title
        elif kind == "auto_rerun":
            self.auto_rerun = (message.auto_rerun.interval, message.auto_rerun.fragment_id)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element, message.delta.fragment_id)
        elif kind == "script_finished":
            self._finish()
            if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.begin_run()  # the page asked for a run of the whole page (st.rerun)
            return int(message.script_finished)
        return None

    def _element(self, element: Any, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        proto = getattr(element, kind)
        if kind == "exception":
            self.exceptions.append(f"{proto.type}: {proto.message}")
        elif kind == "markdown":
            self._run_texts.append((fragment_id, proto.body))
        key = key_of(getattr(proto, "id", "") if hasattr(proto, "id") else "")
        if key is not None:
            self._run_widgets[key] = Widget(proto.id, kind, proto, fragment_id)

    def _finish(self) -> None:
        if self._fragment is None:
            self.widgets, self.drawn_texts = self._run_widgets, self._run_texts
        else:  # a fragment's run redraws that fragment only; the rest of the page stays
            fragment = self._fragment
            kept = {k: w for k, w in self.widgets.items() if w.fragment_id != fragment}
            self.widgets = kept | self._run_widgets
            self.drawn_texts = [
                drawn for drawn in self.drawn_texts if drawn[0] != fragment
            ] + self._run_texts
        # Widgets that left the page are forgotten, as the browser unmounts them; a value
        # the page set on one still shown replaces the one typed before.
        shown = {widget.id: widget for widget in self.widgets.values()}
        for widget_id in list(self.kept):
            widget = shown.get(widget_id)
            if widget is None:
                del self.kept[widget_id]
            elif getattr(widget.proto, "set_value", False) and (value := widget.state()):
                self.kept[widget_id] = value

    def first_message(self) -> BackMsg:
        """The page load: the browser names the page by its address, not yet its hash."""
        self.begin_run()
        return rerun_message(
            query_string=self.query_string,
            page_script_hash="",
            page_name=self.page_name,
            widgets=(),
            url=self.url,
        )

    def interaction(
        self,
        values: dict[str, Any] | None = None,
        press: str | None = None,
        behind: dict[str, Widget] | None = None,
    ) -> BackMsg:
        """Set widgets (by key) and/or press a button (by key), as the browser sends it.

        ``behind`` are widgets as an earlier run drew them, for a browser that taps before
        it has drawn the last run: it sends every value it shows, so theirs go too (under
        the values it has changed), and a value may be set on one of them."""
        on_screen = self.widgets | (behind or {})
        for key, value in (values or {}).items():
            widget_id = on_screen[key].id
            self.kept[widget_id] = widget_state(widget_id, value)
        shown = (widget.state() for widget in (behind or {}).values())
        held = {state.id: state for state in shown if state is not None}
        states = list((held | self.kept).values())
        if press is not None:
            states.append(trigger_state(self.widgets[press].id))
        # As the browser does: a widget drawn by a fragment reruns that fragment only.
        touched = [on_screen[key] for key in [*(values or {}), *([press] if press else [])]]
        fragment_id = touched[-1].fragment_id if touched else ""
        self.begin_run(fragment_id or None)
        return rerun_message(
            query_string=self.query_string,
            page_script_hash=self.page_script_hash,
            page_name="",
            widgets=states,
            cached_hashes=self.cache,
            fragment_id=fragment_id,
        )

    def fragment_rerun(self) -> BackMsg:
        """The timer's rerun of a ``run_every`` fragment."""
        assert self.auto_rerun is not None
        self.begin_run(self.auto_rerun[1])
        return rerun_message(
            query_string=self.query_string,
            page_script_hash=self.page_script_hash,
            page_name="",
            widgets=list(self.kept.values()),
            cached_hashes=self.cache,
            fragment_id=self.auto_rerun[1],
            is_auto_rerun=True,
        )

    def drawn(self, name: str) -> str:
        """The key of the widget drawn now for ``name`` (``amount_parks``), whichever
        drawing it is (``budgeting.ui.drawings``)."""
        (found,) = [key for key in self.widgets if name_of(key) == name]
        return found

    def keys(self, prefix: str, kinds: Iterable[str]) -> list[str]:
        """The keys of the widgets of these kinds whose key starts with ``prefix`` (the
        kind matters: ``project_page`` is the projects' page switch, not a project)."""
        kinds = set(kinds)
        return [k for k, w in self.widgets.items() if k.startswith(prefix) and w.kind in kinds]


RECEIPT = re.compile(r"`([A-Za-z0-9-]{6,})`")


def receipt_in(texts: Iterable[str]) -> str | None:
    for text in texts:
        found = RECEIPT.search(text)
        if found:
            return found.group(1)
    return None


# ------------------------------------------------------------------ sessions (network)


class JourneyError(Exception):
    pass


class Session:
    """One websocket session: a ``Client`` fed by a reader task."""

    def __init__(self, port: int, page: str, query: str) -> None:
        self.port = port
        self.client = Client(page, query, url=f"http://{HOST}:{port}/{page}?{query}")
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._finished: asyncio.Queue[int | Exception] = asyncio.Queue()

    async def _read(self) -> None:
        """Feed the client every message; a message it cannot read ends the step waiting
        for its run at once, with the reason, rather than at the step's time limit."""
        try:
            async for data in self._socket:
                message = ForwardMsg()
                message.ParseFromString(data)
                status = self.client.receive(message)
                if status is not None:
                    self._finished.put_nowait(status)
        except Exception as error:
            self._finished.put_nowait(error)

    async def _run(self, message: BackMsg) -> int:
        await self._socket.send(message.SerializeToString())
        while True:
            status = await asyncio.wait_for(self._finished.get(), STEP_TIMEOUT)
            if isinstance(status, Exception):
                raise JourneyError(f"reading the run: {type(status).__name__}: {status}")
            if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                break
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            raise JourneyError("script did not compile")
        if self.client.exceptions:
            raise JourneyError(self.client.exceptions[-1][:200])
        return status

    async def open(self) -> None:
        self._socket = await websockets.connect(
            f"ws://{HOST}:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=STEP_TIMEOUT,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self._run(self.client.first_message())

    async def act(
        self,
        values: dict[str, Any] | None = None,
        press: str | None = None,
        behind: dict[str, Widget] | None = None,
    ) -> None:
        await self._run(self.client.interaction(values, press, behind))

    async def refresh(self) -> None:
        await self._run(self.client.fragment_rerun())

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._reader


@dataclass
class LevelResult:
    residents: int
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    receipts: list[str] = field(default_factory=list)
    refreshes: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0
    projector_cpu: float = 0.0
    harness_cpu: float = 0.0
    rss_mb: float = 0.0
    found: int | None = None
    cpu_probe: Callable[[], float] | None = None
    """The server's CPU-seconds so far, read around each step when residents go one at a
    time (``--one-at-a-time``): then ``step_cpu`` holds what each step cost the server."""
    step_cpu: dict[str, list[float]] = field(default_factory=dict)

    def time(self, step: str, seconds: float) -> None:
        self.steps.setdefault(step, []).append(seconds)


async def timed(result: LevelResult, step: str, action: Awaitable[None]) -> None:
    started = time.perf_counter()
    cpu_before = result.cpu_probe() if result.cpu_probe is not None else 0.0
    try:
        await action
    except Exception as error:
        error.add_note(step)  # the step it failed at, for the error line
        raise
    result.time(step, time.perf_counter() - started)
    if result.cpu_probe is not None:
        await asyncio.sleep(SETTLE_SECONDS)  # the server's last sends after the run
        result.step_cpu.setdefault(step, []).append(result.cpu_probe() - cpu_before)


async def resident(
    port: int, round_id: str, code: str, think: float, rng: random.Random, result: LevelResult
) -> None:
    """One resident's whole ballot, as ``tests/browser/test_journeys.py`` taps it."""
    session = Session(port, "vote", f"round={round_id}")
    client = session.client

    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    def need(key: str, step: str) -> None:
        widget = client.widgets.get(key)
        if widget is None or getattr(widget.proto, "disabled", False):
            raise JourneyError(f"{step}: no {key} on the page")

    try:
        await timed(result, "open", session.open())
        need("voter_code", "open")
        await pause()
        await timed(result, "code", session.act({"voter_code": code}, press="use_code"))
        amounts = client.keys("amount_", ["number_input"])
        if not amounts:
            raise JourneyError("code: the services step did not follow")
        movable = []
        for key in amounts:
            slider = client.widgets[client.drawn("alloc_" + name_of(key).removeprefix("amount_"))]
            if slider.current() + slider.proto.step <= slider.proto.max:
                movable.append((key, int(slider.current() + slider.proto.step)))
        if not movable:
            raise JourneyError("amount: no service can take more")
        key, amount = rng.choice(movable)
        await pause()
        await timed(result, "amount", session.act({key: amount}))
        need("balance_allocation", "amount")
        await pause()
        await timed(result, "balance", session.act(press="balance_allocation"))
        need("step_next", "balance")
        await pause()
        await timed(result, "to projects", session.act(press="step_next"))
        projects = client.keys("project_", ["checkbox"])
        if len(projects) < 2:
            raise JourneyError("to projects: the projects step did not follow")
        for project in rng.sample(projects, 2):
            await pause()
            await timed(result, "tick", session.act({project: True}))
        await pause()
        await timed(result, "to review", session.act(press="step_next"))
        need("submit_ballot", "to review")
        await pause()
        await timed(result, "send", session.act(press="submit_ballot"))
        receipt = receipt_in(client.texts)
        if receipt is None:
            raise JourneyError("send: no receipt shown")
        result.receipts.append(receipt)
        result.completed += 1
    except Exception as error:  # any failure is the journey's error, counted and shown
        step = " ".join(getattr(error, "__notes__", []))
        result.errors.append(f"{step}: {type(error).__name__}: {error}"[:200])
    finally:
        await session.close()


async def projector(port: int, round_id: str, stop: asyncio.Event, result: LevelResult) -> None:
    """An open projector: the page once, then the fragment's timer until ``stop``."""
    session = Session(port, "results", f"round={round_id}")
    try:
        await session.open()
        while not stop.is_set():
            interval = session.client.auto_rerun[0] if session.client.auto_rerun else 3.0
            try:
                await asyncio.wait_for(stop.wait(), interval)
                break
            except TimeoutError:
                pass
            if session.client.auto_rerun is None:
                continue
            started = time.perf_counter()
            await session.refresh()
            result.refreshes.append(time.perf_counter() - started)
    except Exception as error:  # counted and shown, as a resident's
        result.errors.append(f"projector {type(error).__name__}: {error}"[:200])
    finally:
        await session.close()


# ------------------------------------------------------------------ server processes


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (field 3)


def process_tree(root: int) -> list[int]:
    """``root`` and every process under it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU of the processes, including their children already reaped."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def rss_mb(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def postmaster_pid(port: int) -> int | None:
    """The PostgreSQL server listening on ``port`` (started with ``-p <port>``)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"postgres"):
            for first, second in itertools.pairwise(argv):
                if first == b"-p" and second == str(port).encode():
                    return int(entry.name)
    return None


@dataclass
class Setup:
    store: str
    processes: int

    @property
    def label(self) -> str:
        plural = "es" if self.processes > 1 else ""
        return f"{self.store} {self.processes} process{plural}"


@dataclass
class Server:
    port: int
    root: int
    database_pid: int | None

    def pids(self) -> list[int]:
        pids = process_tree(self.root)
        if self.database_pid is not None:
            pids += process_tree(self.database_pid)
        return pids

    def app_pids(self) -> list[int]:
        return process_tree(self.root)


@contextmanager
def running(setup: Setup, database: str, log: Path) -> Iterator[Server]:
    """The app on ``database``: one Streamlit process (DuckDB), or ``budgeting serve``."""
    # The address's port (HAProxy's, with serve) and serve's app processes' after it,
    # chosen together.
    port = free_consecutive_ports(1 + (setup.processes if setup.store != "duckdb" else 0), HOST)
    env = {**os.environ, "BUDGET_DB": database}
    if setup.store == "duckdb":
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", HOST, "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
    else:
        first_app_port = port + 1
        command = [
            sys.executable, "-m", "budgeting", "serve", "--processes", str(setup.processes),
            "--address", HOST, "--port", str(port), "--first-app-port", str(first_app_port),
        ]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(port, process, seconds=180)
        database_pid = None
        if database.startswith("postgresql"):
            database_pid = postmaster_pid(int(database.rsplit(":", 1)[1].split("/")[0]))
        yield Server(port, process.pid, database_pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(database: str, codes_needed: int) -> tuple[str, list[str]]:
    """The demo round with ``codes_needed`` fresh voter codes, before the server starts."""
    from budgeting import store
    from budgeting.demo import ensure_demo_round

    conn = store.connect(database)
    round_id = ensure_demo_round(conn)
    assert round_id is not None
    codes = store.issue_voter_codes(conn, round_id, codes_needed)
    conn.close()
    return round_id, codes


def receipts_stored(database: str, receipts: list[str]) -> int:
    """How many of ``receipts`` name a current ballot in the store."""
    from budgeting import store

    conn = store.connect(database)
    try:
        found = [store.ballot_by_receipt(conn, receipt) for receipt in receipts]
    finally:
        conn.close()
    return sum(1 for ballot in found if ballot is not None and not ballot.superseded)


# ------------------------------------------------------------------ one setup


async def run_level(
    server: Server,
    round_id: str,
    codes: list[str],
    projectors: int,
    think: float,
    time_limit: float,
    seed: int,
    arrival: float = 0.0,
    one_at_a_time: bool = False,
) -> LevelResult:
    """``len(codes)`` residents arriving at random within ``arrival`` seconds (all together
    at 0), ``projectors`` projectors alongside; or, ``one_at_a_time``, each resident after
    the previous one has finished, with what each step cost the server (``step_cpu``)."""
    result = LevelResult(len(codes))
    if one_at_a_time:
        result.cpu_probe = lambda: cpu_seconds(server.pids())
    rng = random.Random(seed)
    stop = asyncio.Event()
    peak = 0.0

    async def sample_memory() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mb(server.app_pids()))
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample_memory())
    watchers = [
        asyncio.create_task(projector(server.port, round_id, stop, result))
        for _ in range(projectors)
    ]
    await asyncio.sleep(0.5 if projectors else 0)
    cpu_before, own_before = cpu_seconds(server.pids()), sum(os.times()[:2])
    started = time.perf_counter()

    async def arriving(code: str, journey_rng: random.Random) -> None:
        await asyncio.sleep(journey_rng.uniform(0, arrival))
        await resident(server.port, round_id, code, think, journey_rng, result)

    async def in_turn() -> None:
        for code in codes:
            await resident(server.port, round_id, code, think, random.Random(rng.random()), result)

    if one_at_a_time:
        journeys = [asyncio.create_task(in_turn())]
    else:
        journeys = [
            asyncio.create_task(arriving(code, random.Random(rng.random()))) for code in codes
        ]
    _, pending = await asyncio.wait(journeys, timeout=time_limit)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        result.errors.extend([f"time limit ({time_limit:.0f} s)"] * len(pending))
    result.seconds = time.perf_counter() - started
    result.server_cpu = cpu_seconds(server.pids()) - cpu_before
    result.harness_cpu = sum(os.times()[:2]) - own_before
    stop.set()
    await asyncio.gather(*watchers, sampler)
    result.rss_mb = peak
    return result


async def projector_cost(server: Server, round_id: str, projectors: int, seconds: float) -> float:
    """Server CPU-seconds per second for each open projector, measured alone."""
    if projectors == 0:
        return 0.0
    result = LevelResult(0)
    stop = asyncio.Event()
    watchers = [
        asyncio.create_task(projector(server.port, round_id, stop, result))
        for _ in range(projectors)
    ]
    await asyncio.sleep(4)  # every projector open and its first refresh done
    before, started = cpu_seconds(server.pids()), time.perf_counter()
    await asyncio.sleep(seconds)
    rate = (cpu_seconds(server.pids()) - before) / (time.perf_counter() - started)
    stop.set()
    await asyncio.gather(*watchers)
    return rate / projectors


async def idle_cost(server: Server, seconds: float = 5) -> float:
    """Server CPU-seconds per second with nobody connected (health checks, timers)."""
    before, started = cpu_seconds(server.pids()), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds(server.pids()) - before) / (time.perf_counter() - started)


@dataclass
class SetupResult:
    setup: Setup
    levels: dict[int, LevelResult] = field(default_factory=dict)
    projector_rate: float = 0.0
    idle_rate: float = 0.0
    failure: str | None = None


def run_setup(setup: Setup, args: argparse.Namespace, database: str, log: Path) -> SetupResult:
    outcome = SetupResult(setup)
    warm = setup.processes
    round_id, codes = prepare(database, warm + sum(args.residents))
    print(f"[{setup.label}] database ready, starting the server", file=sys.stderr)
    receipts: list[str] = []
    with running(setup, database, log) as server:
        # Warm-up: one journey per process (imports, caches), then what idling costs.
        warm_result = asyncio.run(
            run_level(server, round_id, codes[:warm], 1, 0.0, args.time_limit, seed=1)
        )
        if warm_result.completed != warm:
            outcome.failure = f"warm-up failed: {warm_result.errors[:3]}"
            return outcome
        receipts += warm_result.receipts
        outcome.idle_rate = asyncio.run(idle_cost(server))
        outcome.projector_rate = asyncio.run(
            projector_cost(server, round_id, args.projectors, args.projector_seconds)
        )
        first = warm
        for level in args.residents:
            print(f"[{setup.label}] {level} residents ...", file=sys.stderr)
            result = asyncio.run(
                run_level(
                    server,
                    round_id,
                    codes[first : first + level],
                    args.projectors,
                    args.think,
                    args.time_limit,
                    seed=level,
                    arrival=args.arrival,
                    one_at_a_time=args.one_at_a_time,
                )
            )
            first += level
            result.projector_cpu = (
                outcome.projector_rate * args.projectors + outcome.idle_rate
            ) * result.seconds
            outcome.levels[level] = result
            receipts += result.receipts
            print(
                f"[{setup.label}] {level}: {result.completed} done in {result.seconds:.1f} s, "
                f"{len(result.errors)} errors {result.errors[:2]}",
                file=sys.stderr,
            )
    found_all = receipts_stored(database, receipts)
    missing = len(receipts) - found_all
    for result in outcome.levels.values():
        result.found = len(result.receipts)
    if missing:  # say which levels lost ballots
        for result in outcome.levels.values():
            result.found = receipts_stored(database, result.receipts)
    return outcome


# ------------------------------------------------------------------ the table


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return f"{statistics.median(ordered):.2f} / {p95:.2f} / {ordered[-1]:.2f}"


def rows_for(result: LevelResult | None) -> list[str]:
    if result is None:
        return ["not run"] + [""] * (len(RESIDENT_STEPS) + 8)
    journey_cpu = (result.server_cpu - result.projector_cpu) / max(result.completed, 1)
    per_minute = 60 * result.completed / result.seconds if result.seconds else 0
    found = "-" if result.found is None else f"{result.found}/{len(result.receipts)}"
    return [
        f"{result.completed}/{result.residents}",
        str(len(result.errors)),
        f"{per_minute:.0f}",
        *(quantiles(result.steps.get(step, [])) for step in RESIDENT_STEPS),
        quantiles(result.refreshes),
        f"{result.server_cpu / max(result.completed, 1):.2f}",
        f"{journey_cpu:.2f}",
        f"{result.harness_cpu:.0f}",
        f"{result.rss_mb:.0f}",
        found,
    ]


ROW_NAMES = [
    "completed",
    "errors",
    "journeys per minute",
    *(f"{step} s p50/p95/max" for step in RESIDENT_STEPS),
    "projector refresh s",
    "server CPU s/journey",
    "  less projectors, idle",
    "harness CPU s",
    "app RSS peak MB",
    "receipts in store",
]


def step_costs(outcomes: list[SetupResult], levels: list[int]) -> str:
    """Residents one at a time: the server's CPU per step, mean over the residents of the
    largest level (``/proc`` counts in hundredths of a second, so one step alone is too
    coarse; the mean over many is not)."""
    level = max(levels)
    header = f"{'server CPU per step (ms, mean)':<34}" + "".join(
        f"{o.setup.label:>24}" for o in outcomes
    )
    lines = [f"\nOne at a time, {level} residents:", header, "-" * len(header)]
    for step in (*RESIDENT_STEPS, "journey"):
        cells = ""
        for outcome in outcomes:
            costs = outcome.levels[level].step_cpu if level in outcome.levels else {}
            if step == "journey":
                spent = sum(sum(values) for values in costs.values())
                runs = len(costs.get("send", []))
                cells += f"{1000 * spent / runs:>24.0f}" if runs else f"{'-':>24}"
            else:
                values = costs.get(step, [])
                cells += f"{1000 * statistics.mean(values):>24.1f}" if values else f"{'-':>24}"
        lines.append(f"{step:<34}{cells}")
    return "\n".join(lines) + "\n"


def print_table(outcomes: list[SetupResult], args: argparse.Namespace) -> None:
    width = 24
    arrivals = f"arriving within {args.arrival:g} s" if args.arrival else "starting together"
    print(
        f"\nLoad harness: residents {arrivals}, {args.projectors} projectors open, "
        f"think time {args.think:g} s (x0.5-1.5) between taps, time limit {args.time_limit:g} s"
    )
    for outcome in outcomes:
        if outcome.failure:
            print(f"{outcome.setup.label}: {outcome.failure}")
    header = f"{'residents':<10}{'measure':<26}" + "".join(
        f"{o.setup.label:>{width}}" for o in outcomes
    )
    print()
    print(header)
    print("-" * len(header))
    for level in args.residents:
        columns = [rows_for(o.levels.get(level)) for o in outcomes]
        for number, name in enumerate(ROW_NAMES):
            cells = "".join(f"{column[number]:>{width}}" for column in columns)
            print(f"{level if number == 0 else '':<10}{name:<26}{cells}")
        print()
    if args.one_at_a_time:
        print(step_costs(outcomes, args.residents))
    for outcome in outcomes:
        print(
            f"{outcome.setup.label}: each open projector costs "
            f"{100 * outcome.projector_rate:.1f} % of a core; idle server "
            f"{100 * outcome.idle_rate:.1f} %"
        )
    print(
        "\nsteps: open = page load to the code step; code = Continue to the services step; "
        "amount, balance, tick = one rerun each;\nto projects / to review = Next; "
        "send = Send to the receipt. Server CPU = app processes + HAProxy (+ PostgreSQL)."
    )


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", default="10,50,100,200")
    parser.add_argument("--projectors", type=int, default=3)
    parser.add_argument("--store", default="duckdb,postgresql")
    parser.add_argument("--processes", default="1,2", help="app processes (PostgreSQL)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between taps")
    parser.add_argument(
        "--arrival", type=float, default=0.0, help="residents arrive within this many seconds"
    )
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per level")
    parser.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="each resident after the previous one, no projectors, no pauses: the server's "
        "CPU per step",
    )
    parser.add_argument("--projector-seconds", type=float, default=12)
    args = parser.parse_args(argv)
    if args.one_at_a_time:
        args.projectors, args.think = 0, 0.0
    args.residents = [int(n) for n in parse_list(args.residents)]
    if not args.residents or min(args.residents) < 1 or max(args.residents) > MAX_RESIDENTS:
        parser.error(f"--residents: between 1 and {MAX_RESIDENTS} each")
    if not 0 <= args.projectors <= MAX_PROJECTORS:
        parser.error(f"--projectors: 0 to {MAX_PROJECTORS}")
    stores = parse_list(args.store)
    if not set(stores) <= {"duckdb", "postgresql"}:
        parser.error("--store: duckdb and/or postgresql")
    processes = [int(n) for n in parse_list(args.processes)]
    if not processes or min(processes) < 1 or max(processes) > 4:
        parser.error("--processes: 1 to 4 each")

    outcomes: list[SetupResult] = []
    with tempfile.TemporaryDirectory(prefix="budget-load-") as folder, ExitStack() as stack:
        log = Path(folder) / "server.log"
        for store_name in stores:
            if store_name == "duckdb":
                database = str(Path(folder) / "load.duckdb")
                outcomes.append(run_setup(Setup("duckdb", 1), args, database, log))
                continue
            from tests.postgres_server import fresh_database, running_server

            server = stack.enter_context(running_server())
            for count in processes:
                database = stack.enter_context(fresh_database(server))
                outcomes.append(run_setup(Setup("postgresql", count), args, database, log))
        print_table(outcomes, args)
        if any(o.failure for o in outcomes):
            print("\nserver log (last lines):\n" + "\n".join(log.read_text().splitlines()[-30:]))


if __name__ == "__main__":
    main()
