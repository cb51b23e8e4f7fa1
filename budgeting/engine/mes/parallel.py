"""The ``add1`` scans spread over several processes.

Each step's outcome is a function of the step alone, and a scan keeps the step before its
first over-budget step (or its first exhaustive step, with the exhaustive stop). So the
steps can be cut into consecutive chunks, each scanned on its own from a run made from
scratch at its first step (``budgeting.engine.mes.scan._scan_range``), and the answer is
the first chunk, in step order, that holds a step ending the scan: whatever any later chunk
finds does not matter. Chunks go to a pool of worker processes (``concurrent.futures``,
with the fork start method set explicitly, so the workers inherit the prepared election and
nothing is pickled on the way in); a chunk past the earliest ending step known so far is
abandoned (a shared bound the workers read between runs). The answer is the same for every
number of workers: only the number of runs made changes.

Chunks start ``CHUNK_RUNS`` steps long and then hold about ``CHUNK_RUNS`` runs each, from
the runs per step of the last finished chunk (long chunks where stretches are skipped
whole), never more than the steps handed out so far (the chunks at most double the
range), and start with stretches of an eighth of their steps (``FIRST_STRIDE_SHARE``).
Near the answer a step costs a run of its own, so a chunk handed out long can hold
most of the work: a worker left with nothing to do (every step up to the earliest ending
step known is handed out) takes the far half of the running chunk with the most steps
left (``_far_half``), which then stops where that half begins. A chunk hands back the
outcome of a step the scan may keep (``_may_keep``: the step before its ending step, or its
last step just before the earliest ending step known), explained, when its worker ran that
step among its last two runs (a step's outcome is the same whichever chunk ran it; when
that run was a float run, the worker runs the step again exactly to explain it), so the
parent does not run it. Small elections are scanned
in the calling process (``PARALLEL_FROM``): starting processes costs more than they save.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from budgeting.engine.mes.election import _Election
from budgeting.engine.mes.explain import _Explained
from budgeting.engine.mes.scan import (
    _kept_explained,
    _kept_step,
    _last_step,
    _Reach,
    _reach,
    _scan_range,
    _Scanned,
)

PARALLEL_FROM = 20_000
"""Scans spread over processes only when the election has at least this many (supporting
group, project) pairs; smaller ones take well under a second in one process."""

CHUNK_RUNS = 12
"""About how many runs each chunk of steps handed to a worker should make."""

FIRST_STRIDE_SHARE = 8
"""A chunk's first stretch is one over this of its steps (``_scan_range``'s ``first_stride``):
a chunk is sized to hold about ``CHUNK_RUNS`` runs, and starting, as a scan from step 0
does, with stretches of ``CERTIFY_FROM`` steps spent them before the far steps of a long
chunk were reached (Warszawa 2026 with two workers: 5.2 s, now 4.7 s; an eighth measured
better than a quarter or a twelfth on the Warszawa files)."""

SPLIT_FROM = 2
"""The fewest steps left in a running chunk for an idle worker to take half of them: near
the answer every step is a run of its own, so even one step each is worth a worker that
would otherwise wait."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worth_spreading(election: _Election, workers: int) -> bool:
    """Whether to scan ``election`` in ``workers`` processes rather than in this one.

    Daemonic processes (a ``multiprocessing`` pool's workers) cannot start processes.
    """
    if workers < 2 or multiprocessing.current_process().daemon:
        return False
    return sum(map(len, election.supporter_groups)) >= PARALLEL_FROM


@dataclass
class _Shared:
    """What every worker inherits when it is forked: the election and the bound."""

    full: _Election
    exhaustive_stop: bool
    bound: Any
    """A shared ``q`` value: the earliest step known to end the scan (-1: all done)."""
    limits: Any
    """Shared ``q`` values, one per worker slot: the last step its chunk must scan."""
    reached: Any
    """Shared ``q`` values, one per worker slot: the step up to which its chunk has found
    no step ending the scan."""


_shared: _Shared | None = None
_reach_here: _Reach | None = None
"""A worker's look-ahead (``_Reach``), kept from one chunk to the next."""


_Chunk = tuple[int | None, bool, int, bool, tuple[int, _Explained] | None]
"""A chunk's answer: the first step in it ending the scan (or ``None``), whether that step
is over the budget, the runs made, whether the chunk was abandoned, and a step the scan
may keep with its outcome, explained, when the worker ran it among its last two runs
(``_may_keep``), so that the parent need not run it again."""


def _scan_chunk(first: int, last: int, slot: int) -> _Chunk:
    """Scan steps ``first`` to ``last`` in a worker (``_scan_range``), in worker slot
    ``slot``: the parent may cut the chunk short there (``_Shared.limits``)."""
    global _reach_here
    shared = _shared
    assert shared is not None
    bound = shared.bound
    if first >= bound.value:
        return None, False, 0, True, None
    if _reach_here is None:
        _reach_here = _reach(shared.full)
    scanned = _scan_range(
        _reach_here,
        first,
        last,
        shared.exhaustive_stop,
        stop=lambda: int(bound.value),
        limit=lambda: int(shared.limits[slot]),
        progress=lambda step: shared.reached.__setitem__(slot, step),
        first_stride=(last - first + 1) // FIRST_STRIDE_SHARE,
    )
    kept = _may_keep(scanned, min(last, int(shared.limits[slot])), int(bound.value), shared)
    outcome, runs = None, scanned.runs
    if kept is not None:
        explained, exact_runs = _kept_explained(_reach_here, kept)
        runs += exact_runs
        outcome = None if explained is None else (kept, explained)
    return scanned.end, scanned.over, runs, scanned.abandoned, outcome


def _may_keep(scanned: _Scanned, last: int, bound: int, shared: _Shared) -> int | None:
    """The step the scan may keep if the chunk that scanned up to ``last`` settles it: the
    step its ending step makes the scan keep; with none, its last step when that is the
    scan's last or the step before the earliest ending step known (``bound``: kept when
    that step is over the budget, which the worker does not know; an exhaustive one is
    kept itself, and the outcome handed back is then not used); else ``None``."""
    last_step = _last_step(shared.full)
    if scanned.end is not None:
        return _kept_step(scanned.end, scanned.over, last_step)
    if scanned.abandoned or (last != last_step and last + 1 != bound):
        return None
    return last


def _settled(chunks: list[tuple[int, int]], found: dict[int, _Chunk], last_step: int) -> int | None:
    """The step the scan keeps, once every chunk up to the first ending one is back."""
    for first, last in chunks:
        if first not in found:
            return None
        end, over, _, abandoned, _ = found[first]
        assert not abandoned  # only chunks after an ending step are abandoned
        if end is not None:
            return _kept_step(end, over, last_step)
        if last == last_step:
            return last_step
    return None


def _next_size(runs: int, steps: int, handed_out: int) -> int:
    """The next chunk's steps: about ``CHUNK_RUNS`` runs at the last chunk's runs per step."""
    wanted = CHUNK_RUNS * steps // max(runs, 1)
    return max(CHUNK_RUNS, min(wanted, max(handed_out, CHUNK_RUNS)))


def _far_half(reached: int, last: int) -> int | None:
    """Where a running chunk that has found no ending step up to ``reached`` and must scan
    up to ``last`` is cut for an idle worker to take the rest: the first step of its far
    half, or ``None`` when fewer than ``SPLIT_FROM`` steps are left."""
    left = last - reached
    if left < SPLIT_FROM:
        return None
    return reached + (left + 1) // 2 + 1


def _scan_in_processes(
    full: _Election, exhaustive_stop: bool, workers: int
) -> tuple[int, int, _Explained | None]:
    """The step an ``add1`` scan keeps, the runs made and the kept step's outcome when a
    worker explained it (``_Chunk``), scanned by ``workers`` processes.

    Hands out consecutive chunks of steps, one per idle worker, until the chunks up to the
    first one holding a step that ends the scan (or up to the last step) are all back; a
    worker with no chunk left to take takes the far half of a running one.
    """
    global _shared, _reach_here
    last_step = _last_step(full)
    context = multiprocessing.get_context("fork")
    bound = context.RawValue("q", last_step + 1)
    limits = context.RawArray("q", workers)
    reached = context.RawArray("q", workers)
    _shared, _reach_here = _Shared(full, exhaustive_stop, bound, limits, reached), None
    chunks: dict[int, int] = {}  # first step -> last step, as handed out or cut short
    found: dict[int, _Chunk] = {}
    runs, size, next_first = 0, CHUNK_RUNS, 0
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        pending: dict[Future[_Chunk], tuple[int, int]] = {}  # -> (first step, slot)

        def hand_out(first: int, last: int) -> None:
            slot = min(set(range(workers)) - {slot for _, slot in pending.values()})
            limits[slot], reached[slot] = last, first - 1
            pending[pool.submit(_scan_chunk, first, last, slot)] = (first, slot)
            chunks[first] = last

        while (kept := _settled(sorted(chunks.items()), found, last_step)) is None:
            while len(pending) < workers and next_first <= min(last_step, bound.value - 1):
                last = min(next_first + size - 1, last_step)
                hand_out(next_first, last)
                next_first = last + 1
            while len(pending) < workers:  # idle workers, nothing left to hand out
                if not _split_for_idle(
                    pending, chunks, limits, reached, int(bound.value), hand_out
                ):
                    break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                first, _ = pending.pop(future)
                end, _, made, abandoned, _ = found[first] = future.result()
                runs += made
                if end is not None and end < bound.value:
                    bound.value = end
                if not abandoned and end is None:
                    size = _next_size(made, chunks[first] - first + 1, next_first)
        bound.value = -1  # everything still running is abandoned at its next run
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _shared = None
    return kept, runs, _explained_by_workers(found, kept)


def _explained_by_workers(found: dict[int, _Chunk], step: int) -> _Explained | None:
    """The outcome of ``step`` as a chunk's worker that ran it explained it (``_may_keep``),
    if any."""
    for *_, outcome in found.values():
        if outcome is not None and outcome[0] == step:
            return outcome[1]
    return None


def _split_for_idle(
    pending: dict[Future[_Chunk], tuple[int, int]],
    chunks: dict[int, int],
    limits: Any,
    reached: Any,
    bound: int,
    hand_out: Callable[[int, int], None],
) -> bool:
    """Give an idle worker the far half (``_far_half``) of the running chunk with the most
    steps left before ``bound`` (the earliest step known to end the scan), and cut that
    chunk short where the half begins; whether there was one worth cutting."""
    left = {first: min(int(limits[slot]), bound - 1) for first, slot in pending.values()}
    if not left:
        return False
    first, slot = max(pending.values(), key=lambda chunk: left[chunk[0]] - reached[chunk[1]])
    far = _far_half(int(reached[slot]), left[first])
    if far is None:
        return False
    limits[slot] = chunks[first] = far - 1
    hand_out(far, left[first])
    return True
