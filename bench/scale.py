"""Scale: a city-sized round in each store, from loading its ballots to exporting them.

For each store and size, a new database gets one open round (80 projects, 12 services, 10
areas; approval of up to 5 projects, open to residents without voter codes) and that many
synthetic ballots, loaded through the store's bulk write path (``store.submit_ballots``:
every ballot validated, audited and written, in batches of ``BATCH`` that are each all or
nothing, as paper batches are; on DuckDB the load's time includes folding the last of its
write-ahead log into the file, ``WAL_CHECKPOINT``). Then, on the stored round, it times
what officers and the projector ask of it:

* the projector's query (``store.projector_snapshot``), the median of ``REPEATS`` runs;
* a receipt check (``store.ballot_by_receipt``, a ballot and its rows found by receipt, as
  ``/receipt``, a resident's code and a revision do), the median of ``REPEATS``;
* reading the round back (``store.current_ballots``, as the review and exports do), then
  each selection rule over the ballots' scores and each allocation rule over their amounts,
  read as ``decide.decide_round`` reads them (``store.current_votes``);
* the officers' review (``review.review_round``: every rule side by side, breakdowns);
* the exports (``export.ballots_file`` csv, parquet, pb; ``export.results_csv``).

    .venv/bin/python bench/scale.py [--sizes 100000,1000000] [--stores duckdb,postgresql]
    .venv/bin/python bench/scale.py --rules-in-memory [--sizes 100000,1000000]

``--rules-in-memory`` times only the selection rules, over the same ballots built in memory
(no store, no load, no reading): the engine's share of the rule figures, in a minute or two.

Ballots are skewed as real ones are: a few popular projects, more chosen in the voter's
own area, service splits from floors plus noisy preferences (whole £1,000s), a sixth on
paper, days spread over two weeks (fixed seed, so every run loads the same ballots). DuckDB
is a file in a temporary folder; PostgreSQL a throwaway server
(``tests/postgres_server.py``, fsync off) with a new database per size. Each (store, size)
runs in a fresh process, whose peak resident memory is reported (PostgreSQL's own server
processes not included).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgeting import store  # noqa: E402
from budgeting.engine.registry import allocation_rule, rules, selection_rule  # noqa: E402
from budgeting.results import decide, export, review  # noqa: E402

PROJECTS = 80
SERVICES = 12
AREAS = 10
MAX_APPROVALS = 5
COMPLETION = "add1"
"""Equal shares' completion: the round's default, as Warsaw completes it."""
BATCH = 10_000
REPEATS = 5
LABEL_WIDTH = 50
CELL_WIDTH = 22
SEED = 11
ROUND_ID = "city-scale"
SERVICE_BUDGET = 24_000_000
SERVICE_FLOOR = 500_000
SERVICE_CEILING = 5_000_000
STEP = 1_000
START = datetime(2027, 4, 1, 7, 0)
DAYS = 14
STORES = ("duckdb", "postgresql")
EXPORTS = ("csv", "parquet", "pb", "results-csv")


def setup_round(conn: store.Connection) -> str:
    """The city round, opened: services, projects and areas through the store's API."""
    rng = random.Random(SEED)
    store.create_round(
        conn,
        id=ROUND_ID,
        name="City-wide participatory budget",
        service_budget=Fraction(SERVICE_BUDGET),
        project_budget=Fraction(30_000_000),
        ballot_format="approval",
        max_approvals=MAX_APPROVALS,
        completion=COMPLETION,
        code_mode="open",
    )
    store.replace_services(
        conn,
        ROUND_ID,
        [
            {
                "id": f"S{n:02d}",
                "name": f"Service {n}",
                "floor": SERVICE_FLOOR,
                "ceiling": SERVICE_CEILING,
            }
            for n in range(1, SERVICES + 1)
        ],
    )
    store.replace_areas(
        conn,
        ROUND_ID,
        [
            {"id": f"A{n:02d}", "name": f"District {n}", "population": rng.randint(80, 250) * 1000}
            for n in range(1, AREAS + 1)
        ],
    )
    store.replace_projects(
        conn,
        ROUND_ID,
        [
            {
                "id": f"P{n:02d}",
                "name": f"Project {n}",
                "cost": rng.randint(20, 600) * 5_000,
                "area": f"A{rng.randint(1, AREAS):02d}",
                "category": rng.choice(("Green space", "Streets", "Culture", "Health")),
            }
            for n in range(1, PROJECTS + 1)
        ],
    )
    store.update_round(conn, ROUND_ID, status="open")
    return ROUND_ID


def synthetic_ballots(count: int, seed: int = SEED) -> Iterator[list[store.BallotInput]]:
    """``count`` ballots in batches of ``BATCH``, the same for the same seed."""
    rng = random.Random(seed)
    services = [f"S{n:02d}" for n in range(1, SERVICES + 1)]
    preference = {sid: rng.uniform(0.5, 2.0) for sid in services}
    projects = [f"P{n:02d}" for n in range(1, PROJECTS + 1)]
    popularity = [1 / rank**0.8 for rank in range(1, PROJECTS + 1)]
    rng.shuffle(popularity)
    home = {pid: f"A{rng.randint(1, AREAS):02d}" for pid in projects}
    areas = [f"A{n:02d}" for n in range(1, AREAS + 1)]
    area_weights = [rng.uniform(0.5, 2.0) for _ in areas]
    bands = [*store.AGE_BANDS, None]
    band_weights = [3, 12, 20, 26, 21, 14, 4]
    spare_units = (SERVICE_BUDGET - SERVICES * SERVICE_FLOOR) // STEP
    room_units = (SERVICE_CEILING - SERVICE_FLOOR) // STEP
    batch: list[store.BallotInput] = []
    for _ in range(count):
        area = rng.choices(areas, area_weights)[0]
        weights = [
            w * (3.0 if home[p] == area else 1.0) for p, w in zip(projects, popularity, strict=True)
        ]
        chosen = set(rng.choices(projects, weights, k=rng.randint(1, MAX_APPROVALS)))
        batch.append(
            store.BallotInput(
                allocation=_split(rng, services, preference, spare_units, room_units),
                project_scores=dict.fromkeys(sorted(chosen), 1),
                channel="paper" if rng.random() < 0.16 else "web",
                area=area,
                age_band=rng.choices(bands, band_weights)[0],
                submitted_at=START
                + timedelta(days=min(rng.expovariate(0.25), DAYS - 0.001), hours=rng.random()),
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _split(
    rng: random.Random,
    services: list[str],
    preference: dict[str, float],
    spare_units: int,
    room_units: int,
) -> dict[str, Fraction]:
    """Floors plus the rest by noisy preference, in whole steps, each within its ceiling."""
    noisy = [preference[sid] * rng.random() ** 2 + 0.01 for sid in services]
    total = sum(noisy)
    units = [min(room_units, int(spare_units * w / total)) for w in noisy]
    left = spare_units - sum(units)
    for index in sorted(range(len(services)), key=noisy.__getitem__, reverse=True):
        extra = min(left, room_units - units[index])
        units[index] += extra
        left -= extra
    amounts = (Fraction(SERVICE_FLOOR + unit * STEP) for unit in units)
    return dict(zip(services, amounts, strict=True))


def _seconds(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def measure(database: str, size: int) -> dict[str, float]:
    """Load ``size`` ballots into a new round in ``database`` and time what is asked of it;
    each figure is labelled with its unit."""
    conn = store.connect(database)
    try:
        round_id = setup_round(conn)
        load, receipts = 0.0, []
        for batch in synthetic_ballots(size):
            began = time.perf_counter()
            batch_receipts = store.submit_ballots(conn, round_id, batch)
            load += time.perf_counter() - began
            receipts.append(batch_receipts[-1])
        if not store.is_postgres(database):  # the log's last changes, folded into the file
            load += _seconds(conn.checkpoint)  # type: ignore[attr-defined]
        figures = {"load (s)": load, "load (ballots/s)": size / load}
        projector = [
            _seconds(lambda: store.projector_snapshot(conn, round_id)) for _ in range(REPEATS)
        ]
        figures[f"projector query (ms, median of {REPEATS})"] = 1000 * statistics.median(projector)
        sample = [receipts[n % len(receipts)] for n in range(REPEATS)]
        checks = [
            _seconds(lambda receipt=receipt: store.ballot_by_receipt(conn, receipt))
            for receipt in sample
        ]
        figures[f"receipt check (ms, median of {REPEATS})"] = 1000 * statistics.median(checks)
        figures.update(_rules(conn, round_id))
        figures["review (s)"] = _seconds(lambda: review.review_round(conn, round_id))
        for name in EXPORTS:
            figures[f"export {name} (s)"] = _seconds(
                lambda name=name: _export(conn, round_id, name)
            )
        figures["stored ballots"] = store.ballot_count(conn, round_id)
    finally:
        conn.close()
    figures["peak RSS (MB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _rules(conn: store.Connection, round_id: str) -> dict[str, float]:
    """Reading the round back, then each rule over it as ``decide.decide_round`` reads and
    runs the round's own: a selection rule reads the ballots' scores, an allocation rule
    their amounts (``store.current_votes``), and each rule's figure includes its reading.
    ``read round`` is the whole ballots, as the review and the exports read them."""
    figures = {"read round (s)": _seconds(lambda: store.current_ballots(conn, round_id))}
    began = time.perf_counter()
    voting_round = store.get_round(conn, round_id)
    assert voting_round is not None
    projects = store.list_projects(conn, round_id)
    scores = store.current_votes(conn, round_id, allocations=False).scores
    assert scores is not None
    figures["read scores (s)"] = read = time.perf_counter() - began
    for rule_id, seconds in _selection_seconds(voting_round, projects, scores).items():
        figures[f"selection {rule_id} (s, with reading)"] = read + seconds
    began = time.perf_counter()
    services = store.list_services(conn, round_id)
    amounts = store.current_votes(conn, round_id, scores=False).allocations
    assert amounts is not None
    figures["read amounts (s)"] = read = time.perf_counter() - began
    for entry in rules("allocation"):
        rule = allocation_rule(entry.id)
        figures[f"allocation {entry.id} (s, with reading)"] = read + _seconds(
            lambda rule=rule: rule.run(decide.allocation_profile(voting_round, services, amounts))
        )
    return figures


def rules_in_memory(size: int) -> dict[str, float]:
    """Each selection rule over the city's project vote built in memory (no store, no
    reading): the engine's share of the rule figures, in seconds. Ballots with the same
    vote share one scores dict, as ``store.current_votes`` shares them."""
    conn = store.connect(":memory:")
    try:
        round_id = setup_round(conn)
        voting_round = store.get_round(conn, round_id)
        assert voting_round is not None
        projects = store.list_projects(conn, round_id)
    finally:
        conn.close()
    shared: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}
    scores = []
    for batch in synthetic_ballots(size):
        for ballot in batch:
            vote = tuple(ballot.project_scores.items())
            if vote not in shared:
                shared[vote] = dict(vote)
            scores.append(shared[vote])
    return {
        f"selection {rule_id} (s)": seconds
        for rule_id, seconds in _selection_seconds(voting_round, projects, scores).items()
    }


def _selection_seconds(
    voting_round: store.Round, projects: list[store.Project], scores: list[dict[str, int]]
) -> dict[str, float]:
    """Each selection rule's seconds over ``scores`` with the round's own options, the
    project vote built as ``decide.decide_round`` builds it, by rule id."""
    seconds: dict[str, float] = {}
    for entry in rules("selection"):
        rule = selection_rule(entry.id)
        options = decide.selection_options(voting_round, rule)
        seconds[entry.id] = _seconds(
            lambda rule=rule, options=options: rule.run(
                decide.project_profile(voting_round, projects, scores), **options
            )
        )
    return seconds


def _export(conn: store.Connection, round_id: str, name: str) -> bytes:
    if name == "results-csv":
        return export.results_csv(conn, round_id).encode("utf-8")
    return export.ballots_file(conn, round_id, name)


def table(results: dict[tuple[str, int], dict[str, float]]) -> str:
    """One row per figure, one column per (store, size)."""
    columns = list(results)
    header = f"{'':<{LABEL_WIDTH}}" + "".join(f"{f'{s} {n:,}':>{CELL_WIDTH}}" for s, n in columns)
    lines = [header, "-" * len(header)]
    for label in next(iter(results.values())):
        cells = (_cell(label, results[column][label]) for column in columns)
        lines.append(f"{label:<{LABEL_WIDTH}}" + "".join(f"{c:>{CELL_WIDTH}}" for c in cells))
    return "\n".join(lines)


def _cell(label: str, value: float) -> str:
    if "(s" in label:
        return f"{value:,.2f}"
    return f"{value:,.1f}" if "(ms" in label else f"{value:,.0f}"


def _measured_apart(database: str, size: int) -> dict[str, float]:
    """``measure`` in a fresh process, so its peak memory is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, (database, size))


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument(
        "--rules-in-memory",
        action="store_true",
        help="only the selection rules, over ballots built in memory (no store)",
    )
    args = parser.parse_args(argv)
    sizes = [int(n.replace("_", "")) for n in parse_list(args.sizes)]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: whole numbers of ballots, 1 or more")
    if args.rules_in_memory:
        print(table({("in memory", size): rules_in_memory(size) for size in sizes}))
        return
    stores = parse_list(args.stores)
    if not stores or not set(stores) <= set(STORES):
        parser.error("--stores: duckdb and/or postgresql")
    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="budget-scale-") as folder, ExitStack() as stack:
        server = None
        for size in sizes:
            for name in stores:
                if name == "duckdb":
                    results[name, size] = _measured_apart(
                        str(Path(folder) / f"{size}.duckdb"), size
                    )
                else:
                    from tests.postgres_server import fresh_database, running_server

                    server = server or stack.enter_context(running_server())
                    with fresh_database(server) as database:
                        results[name, size] = _measured_apart(database, size)
                print(f"{table(results)}\n", file=sys.stderr, flush=True)  # so far
    print(table(results))


if __name__ == "__main__":
    main()
