"""Benchmark: independent markets on n ballots × 12 services, ours against a naive baseline.

Run from the repository root: .venv/bin/python -m bench.allocation [--sizes 1000 10000 100000]

Ballots are random splits of a £1,000,000 budget in pence (integer amounts summing to the
budget), the shape validated ballots have. "ours" is ``allocate("independent-markets", ...)``
(exact). The baseline reads the definition directly in floats: bisection on t (50 steps),
each step sorting every service's ballots together with the n + 1 phantoms min(1, t·i) to
take the median. It is not exact; the table shows how far its shares are from ours.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from budgeting.engine.allocation import allocate

SERVICES = [f"service_{j:02d}" for j in range(12)]
BUDGET_PENCE = 100_000_000
T = TypeVar("T")


def random_ballots(voters: int, rng: random.Random) -> list[dict[str, int]]:
    ballots = []
    for _ in range(voters):
        cuts = sorted(rng.randint(0, BUDGET_PENCE) for _ in range(len(SERVICES) - 1))
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, BUDGET_PENCE], strict=True)]
        ballots.append(dict(zip(SERVICES, amounts, strict=True)))
    return ballots


def naive_independent_markets(ballots: Sequence[dict[str, int]], steps: int = 50) -> list[float]:
    voters = len(ballots)
    columns = [[ballot[s] / BUDGET_PENCE for ballot in ballots] for s in SERVICES]

    def medians(t: float) -> list[float]:
        phantoms = [min(1.0, t * i) for i in range(voters + 1)]
        return [sorted(column + phantoms)[voters] for column in columns]

    low, high = 0.0, 1.0
    for _ in range(steps):
        middle = (low + high) / 2
        if sum(medians(middle)) < 1:
            low = middle
        else:
            high = middle
    return medians(high)


def timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    header = (
        f"{'ballots':>9} {'services':>8} {'ours (s)':>9} {'naive (s)':>10} {'ratio':>7}"
        f" {'max |diff|':>11}"
    )
    print(header)
    print("-" * len(header))
    for voters in args.sizes:
        ballots = random_ballots(voters, rng)
        ours_time, ours = timed(
            allocate, "independent-markets", ballots, BUDGET_PENCE, services=SERVICES
        )
        naive_time, naive = timed(naive_independent_markets, ballots)
        difference = max(
            abs(float(ours.shares[s]) - x) for s, x in zip(SERVICES, naive, strict=True)
        )
        print(
            f"{voters:>9,} {len(SERVICES):>8} {ours_time:>9.3f} {naive_time:>10.3f}"
            f" {naive_time / ours_time:>6.0f}× {difference:>11.1e}"
        )


if __name__ == "__main__":
    main()
