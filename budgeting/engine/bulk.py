"""A round's worth of ballots handled at once: a million dicts, scores and profile entries.

Two ideas, each measured on the 1,000,000-ballot round of ``bench/scale.py``:

* ``collector_paused``: build them with Python's cyclic garbage collector paused. Such
  objects hold no reference cycles, so reference counting frees them as before; the
  collector would only walk them again and again, since every full pass walks every object
  alive and passes come more often the more objects are made. The project vote of
  1,000,000 ballots was built in 6.0 s with the collector and 3.1 s without.
* ``shared_objects``: ballots read from the store share one scores dict per distinct vote
  (``store.current_votes``: 290,000 among 1,000,000), so what is done once per dict (the
  project vote's exact copy of it) is found by identity, at C speed, without hashing or
  comparing any dict by content.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import TypeVar

Item = TypeVar("Item")

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


def shared_objects(items: list[Item]) -> tuple[list[Item], list[int]]:
    """The distinct objects of ``items`` by identity, in order of first appearance, and each
    item's number among them. Objects are neither hashed nor compared, only their ids, so
    equal objects that are not the same object stay apart. A list, so that every object is
    alive while its id is read and ids stay unique."""
    ids = list(map(id, items))
    by_id = dict(zip(ids, items, strict=True))  # a key keeps its first position
    number = dict(zip(by_id, count()))
    return list(by_id.values()), list(map(number.__getitem__, ids))
