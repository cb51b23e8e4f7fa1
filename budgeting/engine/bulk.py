"""A round's worth of ballots handled at once: a million dicts, scores and profile entries.

Two ideas, each measured on the 1,000,000-ballot round of ``bench/scale.py``:

* ``collector_paused``: build them with Python's cyclic garbage collector paused. Such
  objects hold no reference cycles, so reference counting frees them as before; the
  collector would only walk them again and again, since every full pass walks every object
  alive and passes come more often the more objects are made. The project vote of
  1,000,000 ballots was built in 6.0 s with the collector and 3.1 s without.
* ``by_identity``: a million ballots repeat far fewer objects (the store makes one scores
  dict per distinct vote, 290,000 among 1,000,000, and one amount per distinct amount), so
  what is done once per object (the project vote's exact copy of a dict, an amount as an
  integer) is found by identity, at C speed, without hashing or comparing by content.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction
from itertools import chain
from typing import TypeVar

Item = TypeVar("Item")
Key = TypeVar("Key")
Value = TypeVar("Value", int, Fraction)

_lock = threading.Lock()
_paused_blocks = 0
_resume = False
"""Whether the collector was on when the first of the current paused blocks began."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs. Nested and concurrent blocks
    (pages of several residents run in threads) share one pause, which ends with the last
    of them, and only if the collector was on before the first."""
    global _paused_blocks, _resume
    with _lock:
        if _paused_blocks == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused_blocks += 1
    try:
        yield
    finally:
        with _lock:
            _paused_blocks -= 1
            if _paused_blocks == 0 and _resume:
                gc.enable()


def by_identity(*sequences: Sequence[Item]) -> dict[int, Item]:
    """Each distinct object of ``sequences`` under its ``id``, in order of first appearance.
    Objects are neither hashed nor compared, only their ids, so equal objects that are not
    the same object stay apart; the caller converts each once and looks every item up by
    ``id`` at C speed. Sequences that hold their objects (lists, tuples, not ranges), so that
    every object is alive while its id is read and ids stay unique."""
    distinct: dict[int, Item] = {}
    for sequence in sequences:
        distinct.update(zip(map(id, sequence), sequence, strict=True))
    return distinct


def sums_by_key(rows: Iterable[Mapping[Key, Value]]) -> dict[Key, Value]:
    """Each key's sum over ``rows`` (a batch's amounts per service, a profile's points per
    project), in one pass over their items, keys in order of first appearance."""
    sums: dict[Key, Value] = {}
    sum_of = sums.get
    for key, value in chain.from_iterable(row.items() for row in rows):
        sums[key] = sum_of(key, 0) + value
    return sums
