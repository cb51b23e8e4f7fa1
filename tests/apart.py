"""Running an event loop of one's own from a test: in a thread of its own."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def apart(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in a thread of its own: the load harness runs its own event loop, and
    Playwright's sync API keeps one running in this thread when browser tests share the
    pytest worker."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(work, *args).result()
