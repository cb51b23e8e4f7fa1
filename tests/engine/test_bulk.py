"""A round's worth of ballots at once (``engine.bulk``): the collector pause ends with the
last of the blocks sharing it, leaves the collector as it found it, and survives an error
and blocks on several threads; objects are grouped by identity, never by equality."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from budgeting.engine.bulk import by_identity, collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    if not was_on:
        gc.disable()


def test_the_collector_is_paused_inside_and_back_on_after_nested_blocks() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still builds
    assert gc.isenabled()


def test_an_error_in_the_block_still_ends_the_pause() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a bad ballot")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_blocks_on_two_threads_share_one_pause() -> None:
    first_inside, second_done, first_may_end = (threading.Event() for _ in range(3))
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_inside.set()
            first_may_end.wait(5)
            seen["first, after the second ended"] = gc.isenabled()

    def second() -> None:
        first_inside.wait(5)
        with collector_paused():
            pass
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_done.wait(5)
    first_may_end.set()
    for thread in threads:
        thread.join(5)
    assert seen == {"first, after the second ended": False}
    assert gc.isenabled()


def test_objects_are_kept_by_identity_in_order_of_first_appearance() -> None:
    first, second, equal_to_first = {"a": 1}, {"b": 1}, {"a": 1}
    distinct = by_identity([first, second, first], (equal_to_first, second))
    assert list(distinct) == [id(first), id(second), id(equal_to_first)]
    assert [distinct[id(d)] is d for d in (first, second, equal_to_first)] == [True] * 3
