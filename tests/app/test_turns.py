"""Ballot steps take turns, first come first served (``budgeting.ui.turns``): the order,
a turn taken again inside one, a turn handed on after a failure, a wait that runs out; and
the ballot page's steps each take one, Send storing the ballot in its step's turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from budgeting import store
from budgeting.ui import ballot_form, turns
from tests.app.test_vote_page import enter_code, go_next

PATIENT = 60.0
"""A wait that never runs out in these tests."""


def queue_behind(holder_turns: turns.Turns, count: int) -> tuple[list[int], list[threading.Thread]]:
    """``count`` threads that queue, one after another, for a turn held by this thread; each
    notes its number once it runs."""
    order: list[int] = []

    def step(number: int) -> None:
        with holder_turns.turn():
            order.append(number)

    threads = []
    for number in range(count):
        thread = threading.Thread(target=step, args=(number,))
        thread.start()
        wait_until_queued(holder_turns, number + 1)
        threads.append(thread)
    return order, threads


def wait_until_queued(holder_turns: turns.Turns, count: int) -> None:
    for _ in range(10_000):
        if len(holder_turns._waiting) == count:
            return
        threading.Event().wait(0.001)
    raise AssertionError(f"{count} steps never queued")


def finish(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(PATIENT)
        assert not thread.is_alive(), "a step never got its turn"


def test_steps_run_in_the_order_they_arrived():
    gate = turns.Turns(PATIENT)
    with gate.turn():
        order, threads = queue_behind(gate, 6)
        assert order == []  # nobody runs while the turn is held
    finish(threads)
    assert order == [0, 1, 2, 3, 4, 5]
    assert gate._holder is None and not gate._waiting


def test_a_turn_taken_again_inside_one_does_not_wait_for_itself():
    gate = turns.Turns(PATIENT)
    holders: list[int | None] = []

    def nested() -> None:
        with gate.turn(), gate.turn():
            holders.append(gate._holder)

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(PATIENT / 2)  # waiting for itself, it would wait the whole PATIENT
    assert not thread.is_alive() and holders == [thread.ident]
    assert gate._holder is None and not gate._waiting


def test_a_step_that_fails_hands_the_turn_on():
    gate = turns.Turns(PATIENT)
    with pytest.raises(RuntimeError), gate.turn():
        order, threads = queue_behind(gate, 2)
        raise RuntimeError("the step failed")
    finish(threads)
    assert order == [0, 1]
    assert gate._holder is None


def test_a_step_that_waits_too_long_runs_without_its_turn_and_leaves_the_queue():
    gate = turns.Turns(longest_wait=0.5)
    ran = threading.Event()
    with gate.turn():

        def step() -> None:
            with gate.turn():
                ran.set()

        thread = threading.Thread(target=step)
        thread.start()
        wait_until_queued(gate, 1)  # queued: the turn was taken just now, not stuck
        finish([thread])
        assert ran.is_set()  # while the turn is still held here
        assert not gate._waiting
        assert gate._holder == threading.get_ident()
    assert gate._holder is None


def test_while_the_turn_is_held_too_long_steps_arriving_do_not_queue():
    gate = turns.Turns(PATIENT)
    ran = threading.Event()
    with gate.turn():
        gate._held_since -= PATIENT + 1  # held past the longest wait: its holder is stuck

        def step() -> None:
            with gate.turn():
                ran.set()

        thread = threading.Thread(target=step)
        thread.start()
        thread.join(PATIENT / 2)  # a step that queued would wait the whole PATIENT
        assert ran.is_set() and not thread.is_alive()
        assert gate._holder == threading.get_ident()
    assert gate._holder is None and not gate._waiting


class CountedTurns(turns.Turns):
    def __init__(self) -> None:
        super().__init__(PATIENT)
        self.taken = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with super().turn():
            self.taken += 1
            yield


def test_each_ballot_step_takes_one_turn_and_the_ballot_is_stored_in_it(open_page, monkeypatch):
    counted = CountedTurns()
    monkeypatch.setattr(turns, "ballot_steps", counted)
    stored_in_turn: list[bool] = []
    submit_ballot = store.submit_ballot

    def noting_the_turn(*args: object, **kwargs: object) -> store.StoredBallot:
        stored_in_turn.append(counted._holder == threading.get_ident())
        return submit_ballot(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "submit_ballot", noting_the_turn)
    app = enter_code(open_page)  # open, then Continue
    assert app.slider and counted.taken == 2
    app = go_next(app)  # to the projects
    app.checkbox(key="project_P01").check().run()
    app = go_next(app)  # to the review
    assert counted.taken == 5
    app.button(key="submit_ballot").click().run()
    assert app.session_state[ballot_form.RECEIPT_KEY]
    assert counted.taken == 6  # Send is one step: stored, then the receipt drawn
    assert stored_in_turn == [True]
    assert counted._holder is None and not counted._waiting
