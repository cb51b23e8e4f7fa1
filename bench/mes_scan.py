"""Benchmark: how much an ``add1`` scan of the Method of Equal Shares can skip, per file.

Run from the repository root (never part of the test suite):

    .venv/bin/python bench/mes_scan.py
    .venv/bin/python bench/mes_scan.py --files Poland_Lodz_2022.pb --steps 60

Runs MES at every budget step of the scan (every voter's money raised by one unit at a
time, as ``add1`` does), each from scratch, and prints how often the outcome actually
changes: the distinct orders of purchases and the distinct sets of winners among the
steps, how many steps change the order, the median round at which two neighbouring steps
first buy something different, and the seconds one run takes: exact (``run._run``) and in
floats (``float_run._float_run``, which the scans try first), with the steps the float run
left to the exact run (near-ties within its error bound; every step where some score is
not 1) and a check that it otherwise bought the same. A scan that must know every
step's outcome needs at least one run per distinct order; the gap between orders and sets
is what a scan certifying outcomes rather than orders could still skip.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgeting.engine.mes.election import _prepare  # noqa: E402  (after the path is set)
from budgeting.engine.mes.float_run import _float_run  # noqa: E402
from budgeting.engine.mes.run import _run  # noqa: E402
from budgeting.engine.pabulib import read_pb  # noqa: E402

DATA = ROOT / "tests" / "data" / "pabulib"
FILES = ("Poland_Warszawa_2023_Mokotow.pb", "Poland_Lodz_2022.pb", "Netherlands_Amsterdam_252.pb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES))
    parser.add_argument(
        "--steps", type=int, default=0, help="steps to run (default: up to the first overflow)"
    )
    args = parser.parse_args()
    print(
        f"{'file':<36} {'steps':>6} {'orders':>7} {'sets':>5} {'order changes':>14} "
        f"{'median first difference':>24} {'s per run':>10} {'in floats':>10} {'fell back':>10}"
    )
    for name in args.files:
        print(_row(name, args.steps), flush=True)


def _row(name: str, steps: int) -> str:
    election = _prepare(read_pb(DATA / name).to_profile())
    start = election.budget / election.voters
    orders: list[tuple[int, ...]] = []
    exact_seconds = float_seconds = 0.0
    fell_back = 0
    while not steps or len(orders) < steps:
        amount = start + len(orders)
        started = time.perf_counter()
        order = _run(election, amount).purchases.order
        exact_seconds += time.perf_counter() - started
        started = time.perf_counter()
        in_floats = _float_run(election, amount)
        float_seconds += time.perf_counter() - started
        fell_back += in_floats is None
        assert in_floats in (None, order), f"{name}: the float run bought otherwise"
        orders.append(order)
        if not steps and sum(election.costs[p] for p in order) > election.budget:
            break
    differences = [
        next((r for r, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        for a, b in pairwise(orders)
        if a != b
    ]
    median = statistics.median(differences) if differences else "-"
    return (
        f"{name[:36]:<36} {len(orders):>6} {len(set(orders)):>7} "
        f"{len({frozenset(o) for o in orders}):>5} {len(differences):>14} {median:>24} "
        f"{exact_seconds / len(orders):>10.3f} {float_seconds / len(orders):>10.3f} "
        f"{fell_back:>10}"
    )


if __name__ == "__main__":
    main()
