"""The ``add1`` scans spread over processes give the answer of stepping one unit at a time.

The scans are cut into chunks of steps handed to forked worker processes
(``budgeting.engine.mes.parallel``); on small random elections, with processes forced on
(``PARALLEL_FROM`` 0) and chunks as short as they go (or one chunk for every step, which
idle workers then split), every completion gives the same outcome for 1, 2 and 3 workers
as the plain rule stepping through every amount (``reference_add1``), and everything but
the count of runs made is the same for every number of workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine.mes import equal_shares, parallel
from budgeting.engine.mes import scan as mes_scan
from budgeting.engine.mes.completions import COMPLETIONS
from budgeting.engine.mes.election import _prepare
from budgeting.engine.mes.parallel import _Chunk, _far_half, _scan_in_processes, _settled
from budgeting.engine.mes.reference import reference_add1, reference_greedy_fill
from budgeting.engine.mes.scan import _reach, _scan_range, _Scanned
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile, SelectionResult
from tests.engine.test_mes_golden import profile as pabulib_profile
from tests.engine.test_mes_properties import profiles, reference_outcome_cost

WORKERS = (1, 2, 3)
ELECTIONS = st.one_of(profiles(), profiles(vote_type="cumulative"))
PABULIB = Path(__file__).resolve().parents[1] / "data" / "pabulib"


def expected(profile: ProjectProfile, completion: str) -> tuple[str, ...]:
    if completion == "add1u":
        return reference_greedy_fill(profile, reference_add1(profile, exhaustive_stop=False))
    return reference_add1(profile, exhaustive_stop=completion == "add1-exhaustive")


def first_ending_step(
    profile: ProjectProfile, exhaustive_stop: bool, first: int, last: int
) -> tuple[int, bool] | None:
    """Stepping one unit at a time from ``first`` to ``last``: the first step whose outcome
    is over the budget (``True``) or, with the exhaustive stop, exhaustive (``False``)."""
    start = profile.budget / len(profile.ballots)
    for step in range(first, last + 1):
        run = reference_outcome_cost(profile, start + step)
        if step and run[1] > profile.budget:
            return step, True
        if exhaustive_stop and run[2]:
            return step, False
    return None


def outcome(result: SelectionResult) -> tuple[object, ...]:
    """Everything a result says but the runs made."""
    details = {key: value for key, value in result.details.items() if key != "mes_runs"}
    return result.selected, result.cost, result.steps, details


@pytest.fixture(autouse=True)
def processes_always() -> Iterator[None]:
    with patch.object(parallel, "PARALLEL_FROM", 0):
        yield


@pytest.mark.slow  # 25 elections x 3 worker counts, each forking a pool: in .ci/run
@settings(max_examples=25, deadline=None)
@given(ELECTIONS, st.sampled_from((1, 2, 3, 10**9)))
def test_every_completion_matches_stepping_for_1_2_and_3_workers(
    profile: ProjectProfile, chunk: int
) -> None:
    with patch.object(parallel, "CHUNK_RUNS", chunk):
        for completion in COMPLETIONS[1:]:
            results = [equal_shares(profile, completion=completion, workers=n) for n in WORKERS]
            assert results[0].selected == expected(profile, completion)
            assert all(outcome(result) == outcome(results[0]) for result in results)


RANGES = (ELECTIONS, st.booleans(), st.integers(0, 12), st.integers(0, 12))
"""A range of steps to scan: an election, whether the exhaustive stop applies, the first
step and how many steps follow it."""


def answer(scanned: _Scanned) -> tuple[int, bool] | None:
    """A scanned range's answer as ``first_ending_step`` gives it."""
    return None if scanned.end is None else (scanned.end, scanned.over)


@settings(max_examples=40, deadline=None)
@given(*RANGES, st.integers(0, 16))
def test_a_range_of_steps_finds_the_first_step_that_ends_the_scan(
    profile: ProjectProfile, exhaustive_stop: bool, first: int, width: int, first_stride: int
) -> None:
    # Each chunk a worker scans on its own, from a run made from scratch at its first step
    # and with stretches of any length at first, must name the first step in it whose
    # outcome is over the budget (or exhaustive).
    scanned = _scan_range(
        _reach(_prepare(profile)), first, first + width, exhaustive_stop, first_stride=first_stride
    )
    assert answer(scanned) == first_ending_step(profile, exhaustive_stop, first, first + width)


@settings(max_examples=40, deadline=None)
@given(*RANGES, st.integers(0, 12))
def test_a_range_cut_short_while_it_is_scanned_answers_for_the_steps_it_kept(
    profile: ProjectProfile, exhaustive_stop: bool, first: int, width: int, cut: int
) -> None:
    # Another worker takes the steps after ``first + cut`` once the range has started: the
    # range then names the first step up to there that ends the scan, or none, and tells
    # how far it has found none as it goes (past the cut when a stretch begun before it was
    # certified).
    kept_last = first + min(cut, width)
    limits = iter([first + width])
    reported: list[int] = []
    scanned = _scan_range(
        _reach(_prepare(profile)),
        first,
        first + width,
        exhaustive_stop,
        limit=lambda: next(limits, kept_last),
        progress=reported.append,
    )
    assert answer(scanned) == first_ending_step(profile, exhaustive_stop, first, kept_last)
    assert not scanned.abandoned
    assert reported == sorted(reported)
    assert all(first <= step <= first + width for step in reported)


@settings(max_examples=40, deadline=None)
@given(
    ELECTIONS,
    st.booleans(),
    st.integers(0, 6),
    st.integers(1, 12),
)
def test_a_range_cut_short_as_the_rest_finds_the_end_is_not_abandoned(
    profile: ProjectProfile, exhaustive_stop: bool, first: int, cut: int
) -> None:
    # The race of two processes, played in order: the range has read its old last step for
    # the step after the cut; at that moment the parent cuts it there and the far half finds
    # that the step after the cut ends the scan. The range must stop at the cut, answering
    # for its steps, not give up as if they no longer mattered.
    election = _prepare(profile)
    cut_at, old_last = first + cut, first + 2 * cut + 8
    reached = [first - 1]
    cut_made: list[bool] = []

    def limit() -> int:
        if cut_made:
            return cut_at
        if reached[0] >= cut_at:  # read for the step after the cut: old, then the cut comes
            cut_made.append(True)
        return old_last

    scanned = _scan_range(
        _reach(election),
        first,
        old_last,
        exhaustive_stop,
        stop=lambda: cut_at + 1 if cut_made else old_last + 1,
        limit=limit,
        progress=lambda step: reached.__setitem__(0, step),
    )
    assert not scanned.abandoned


def _chunk_alone(
    profile: ProjectProfile, first: int, last: int, bound: int, cut: int | None = None
) -> _Chunk:
    """``parallel._scan_chunk`` in this process, with ``bound`` the earliest ending step
    known and the chunk cut short at ``cut`` (its limit) when given."""
    parallel._shared = parallel._Shared(
        _prepare(profile), False, SimpleNamespace(value=bound), [last if cut is None else cut], [0]
    )
    try:
        return parallel._scan_chunk(first, last, 0)
    finally:
        parallel._shared = parallel._reach_here = None


def test_a_chunk_starts_with_stretches_of_an_eighth_of_its_steps() -> None:
    profile = pabulib_profile("Poland_Swiecie_2023.pb")
    stretches: list[tuple[Fraction, Fraction]] = []

    def certified(
        full: object, election: object, low: Fraction, high: Fraction, *_: object
    ) -> bool:
        stretches.append((low, high))
        return True

    with patch.object(mes_scan, "_stretch_certified", certified):
        _chunk_alone(profile, 0, 79, 10**9)
    low, high = stretches[0]
    assert high - low == 80 // parallel.FIRST_STRIDE_SHARE


def test_a_chunk_that_finds_the_end_explains_the_step_the_scan_keeps() -> None:
    # The parent takes the outcome from the worker that ran the kept step rather than run
    # it again: it must be the outcome of that step, explained as one process explains it.
    profile = pabulib_profile("Poland_Swiecie_2023.pb")
    alone = equal_shares(profile, completion="add1", workers=1)
    kept = alone.details["add1_steps"]
    assert isinstance(kept, int)
    end, over, _, abandoned, outcome = _chunk_alone(profile, kept - 2, kept + 3, 10**9)
    assert (end, over, abandoned) == (kept + 1, True, False)
    assert outcome is not None
    step, explained = outcome
    assert step == kept
    assert (explained.selected, explained.steps) == (alone.selected, alone.steps)
    assert explained.per_voter == alone.details["per_voter_budget"]


def test_a_chunk_ending_just_before_a_known_end_explains_its_last_step() -> None:
    # When another chunk has found the end right after this chunk's last step, that last
    # step is the one the scan keeps (if nothing earlier ends it): the chunk explains it.
    profile = pabulib_profile("Poland_Swiecie_2023.pb")
    alone = equal_shares(profile, completion="add1", workers=1)
    kept = alone.details["add1_steps"]
    assert isinstance(kept, int)
    end, _, _, _, outcome = _chunk_alone(profile, kept - 3, kept, kept + 1)
    assert end is None and outcome is not None
    assert outcome[0] == kept and outcome[1].selected == alone.selected
    _, _, _, _, elsewhere = _chunk_alone(profile, kept - 3, kept, kept + 5)
    assert elsewhere is None  # its last step is kept only if the end follows it
    _, _, _, _, cut_short = _chunk_alone(profile, kept - 3, kept + 4, kept + 1, cut=kept)
    assert cut_short is not None and cut_short[0] == kept  # its last step as cut


def test_an_idle_worker_takes_the_far_half_of_the_steps_a_running_chunk_has_left() -> None:
    assert _far_half(reached=9, last=19) == 15  # 10..14 stay, 15..19 go to the idle worker
    assert _far_half(reached=-1, last=6) == 4  # 0..3 stay, 4..6 go
    assert _far_half(reached=16, last=19) == 19
    assert _far_half(reached=18, last=19) is None  # one step left: nothing to share


def test_a_scan_handed_out_as_one_chunk_is_shared_by_splitting_it() -> None:
    # With one chunk holding every step, the second worker has nothing to take but halves
    # of it; the answer stays the one process's.
    election = pabulib_profile("Poland_Swiecie_2023.pb")
    one = equal_shares(election, completion="add1", workers=1)
    halves: list[int] = []

    def far_half(reached: int, last: int) -> int | None:
        far = _far_half(reached, last)
        halves.extend([] if far is None else [far])
        return far

    with patch.object(parallel, "CHUNK_RUNS", 10**9), patch.object(parallel, "_far_half", far_half):
        assert _scan_in_processes(_prepare(election), False, 2)[0] == one.details["add1_steps"]
    assert halves


def test_the_answer_waits_for_every_chunk_before_the_first_ending_one() -> None:
    # A later chunk's ending step is no answer while an earlier chunk is still out.
    chunks = [(0, 3), (4, 7), (8, 11)]
    assert _settled(chunks, {4: (5, True, 3, False, None)}, 100) is None
    assert (
        _settled(chunks, {0: (None, False, 4, False, None), 4: (5, True, 3, False, None)}, 100) == 4
    )
    assert _settled(chunks, {0: (2, False, 2, False, None), 4: (5, True, 3, False, None)}, 100) == 2
    assert _settled(chunks, {0: (None, False, 4, False, None)}, 100) is None
    assert (
        _settled(
            [(0, 3), (4, 7)],
            {0: (None, False, 4, False, None), 4: (None, False, 4, False, None)},
            7,
        )
        == 7
    )


def test_the_scan_in_processes_on_a_real_file_matches_one_process() -> None:
    election = pabulib_profile("Poland_Swiecie_2023.pb")
    for completion in ("add1", "add1-exhaustive"):
        one = equal_shares(election, completion=completion, workers=1)
        two = equal_shares(election, completion=completion, workers=2)
        assert outcome(two) == outcome(one)
    add1 = equal_shares(election, completion="add1", workers=1)
    kept, _, explained = _scan_in_processes(_prepare(election), False, 2)
    assert kept == add1.details["add1_steps"]
    if explained is not None:  # a worker ran the kept step: its outcome as one process has it
        assert (explained.selected, explained.steps) == (add1.selected, add1.steps)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_whole_number_of_processes(workers: object) -> None:
    profile = ProjectProfile(
        budget=Fraction(10),
        projects=(Project("a", Fraction(4)),),
        ballots=(ProjectBallot({"a": Fraction(1)}, voter_id="v"),),
    )
    with pytest.raises(ValueError, match="workers"):
        equal_shares(profile, completion="add1", workers=workers)  # type: ignore[arg-type]


def test_select_takes_workers_and_publishes_the_same_outcome(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # --workers runs the scan, it is no option of the outcome: the JSON is the same.
    from budgeting.__main__ import main

    path = PABULIB / "Poland_Swiecie_2023.pb"
    printed = []
    for workers in ("1", "2"):
        assert (
            main(
                [
                    "select",
                    str(path),
                    "--rule",
                    "mes",
                    "--completion",
                    "add1",
                    "--workers",
                    workers,
                    "--json",
                ]
            )
            == 0
        )
        payload = json.loads(capsys.readouterr().out)
        payload["details"].pop("mes_runs")
        printed.append(payload)
    assert printed[0] == printed[1]
    assert printed[0]["options"] == {"completion": "add1"}
    assert main(["select", str(path), "--rule", "greedy", "--workers", "2"]) == 2
    assert "takes no --workers option" in capsys.readouterr().err
