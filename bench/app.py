"""Store benchmark: the projector's live aggregate and one ballot submission at scale.

Fills a temporary DuckDB file with the demo round's services and projects and 100,000
ballots (loaded in bulk through ``submit_ballots``: validated, audited, one transaction),
then times ``projector_snapshot`` and ``submit_ballot`` (a resident with a voter code,
revising on every other call, so supersession is included) and prints the median of the
repeats against the targets.

    .venv/bin/python bench/app.py [--ballots 100000] [--repeats 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from budgeting import store
from budgeting.demo import DEMO_DIR

SNAPSHOT_TARGET_MS = 200
SUBMIT_TARGET_MS = 50
BATCH = 20_000


def random_allocation(
    rng: random.Random, services: list[store.Service], budget: Fraction
) -> dict[str, Fraction]:
    """Floors, then the rest in £10,000 steps to random services below their ceiling."""
    amounts = {s.id: int(s.floor) for s in services}
    ceilings = {s.id: int(s.ceiling) for s in services}
    spare = int(budget) - sum(amounts.values())
    while spare > 0:
        service_id = rng.choice([sid for sid in amounts if amounts[sid] < ceilings[sid]])
        step = min(10_000, spare, ceilings[service_id] - amounts[service_id])
        amounts[service_id] += step
        spare -= step
    return {sid: Fraction(amount) for sid, amount in amounts.items()}


def fill(conn, round_id: str, count: int, rng: random.Random) -> float:
    """Load ``count`` paper ballots (500 distinct allocations) in batches; seconds taken."""
    round_ = store.get_round(conn, round_id)
    services = store.list_services(conn, round_id)
    project_ids = [p.id for p in store.list_projects(conn, round_id)]
    areas = ["Eastgate", "Millfield", "Northbank", "Old Town", "Riverside Park"]
    allocations = [random_allocation(rng, services, round_.service_budget) for _ in range(500)]
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        batch = [
            store.BallotInput(
                allocation=rng.choice(allocations),
                project_scores=dict.fromkeys(rng.sample(project_ids, rng.randint(1, 5)), 1),
                channel="paper",
                area=rng.choice(areas),
                age_band=rng.choice(["16-24", "25-34", "35-49", "50-64", "65+"]),
            )
            for _ in range(min(BATCH, count - first))
        ]
        store.submit_ballots(conn, round_id, batch)
        print(f"  loaded {first + len(batch):,} ballots", file=sys.stderr)
    return time.perf_counter() - started


def median_ms(action, repeats: int) -> tuple[float, float, float]:
    """Median, fastest and slowest time of ``action`` over ``repeats`` calls, in ms."""
    times = []
    for number in range(repeats):
        started = time.perf_counter()
        action(number)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        conn = store.connect(str(Path(folder) / "bench.duckdb"))
        round_id = store.create_round(
            conn,
            name="Bench ward",
            service_budget=Fraction(1_200_000),
            project_budget=Fraction(300_000),
            max_approvals=5,
        )
        store.import_services_csv(conn, round_id, (DEMO_DIR / "services.csv").read_text())
        store.import_projects_csv(conn, round_id, (DEMO_DIR / "projects.csv").read_text())
        codes = store.issue_voter_codes(conn, round_id, args.repeats)
        store.update_round(conn, round_id, status="open")
        load_seconds = fill(conn, round_id, args.ballots, rng)
        conn.checkpoint()  # fold the bulk load's write-ahead log into the file before timing
        services = store.list_services(conn, round_id)
        budget = store.get_round(conn, round_id).service_budget

        snapshot = store.projector_snapshot(conn, round_id)
        assert snapshot.ballot_count == args.ballots
        snap = median_ms(lambda _: store.projector_snapshot(conn, round_id), args.repeats)

        def submit(number: int) -> None:
            store.submit_ballot(
                conn,
                round_id,
                allocation=random_allocation(rng, services, budget),
                project_scores={"P01": 1, "P05": 1},
                code=codes[number // 2],
                area="Eastgate",
                age_band="35-49",
            )

        sub = median_ms(submit, args.repeats)
        final = store.ballot_count(conn, round_id)
        conn.close()

    print(f"\nStore benchmark: {args.ballots:,} ballots (loaded in {load_seconds:.1f} s),")
    print(f"median of {args.repeats} repeats; {final:,} current ballots at the end\n")
    header = f"{'measure':<34}{'median ms':>11}{'min':>8}{'max':>8}{'target ms':>11}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, (median, low, high), target in (
        ("projector_snapshot", snap, SNAPSHOT_TARGET_MS),
        ("submit_ballot (code, revising)", sub, SUBMIT_TARGET_MS),
    ):
        print(
            f"{name:<34}{median:>11.1f}{low:>8.1f}{high:>8.1f}{target:>11}{median / target:>8.2f}"
        )
    print("\nratio = median / target (below 1 meets the target)")


if __name__ == "__main__":
    main()
