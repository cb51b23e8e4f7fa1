"""The scale benchmark (bench/scale.py) at a tiny size: every figure of its table, and every
ballot it loads stored, on each store."""

import pytest

from bench import scale
from budgeting.engine.registry import rules

SIZE = 300


def expected_rows() -> list[str]:
    return [
        "load (s)",
        "load (ballots/s)",
        f"projector query (ms, median of {scale.REPEATS})",
        f"receipt check (ms, median of {scale.REPEATS})",
        "read round (s)",
        "read scores (s)",
        *(f"selection {entry.id} (s, with reading)" for entry in rules("selection")),
        "read amounts (s)",
        *(f"allocation {entry.id} (s, with reading)" for entry in rules("allocation")),
        "review (s)",
        *(f"export {name} (s)" for name in scale.EXPORTS),
        "stored ballots",
        "peak RSS (MB)",
    ]


def check(store_name: str, database: str) -> None:
    figures = scale.measure(database, SIZE)
    assert list(figures) == expected_rows()
    assert figures["stored ballots"] == SIZE
    lines = scale.table({(store_name, SIZE): figures}).splitlines()
    assert lines[0].split() == [store_name, f"{SIZE:,}"]
    assert [line[: scale.LABEL_WIDTH].strip() for line in lines[2:]] == expected_rows()
    assert lines[-2].split()[-1] == f"{SIZE:,}"


def test_the_ballots_are_made_the_same_way_every_time():
    first, again = list(scale.synthetic_ballots(25)), list(scale.synthetic_ballots(25))
    assert first == again and [len(batch) for batch in first] == [25]
    for ballot in first[0]:
        assert sum(ballot.allocation.values()) == scale.SERVICE_BUDGET
        assert 1 <= len(ballot.project_scores) <= scale.MAX_APPROVALS


def test_duckdb(tmp_path):
    check("duckdb", str(tmp_path / "scale.duckdb"))


@pytest.mark.postgres
def test_postgresql():
    from tests.postgres_server import fresh_database, running_server

    with running_server() as server, fresh_database(server) as database:
        check("postgresql", database)


def test_the_rules_alone_are_timed_over_ballots_built_in_memory(capsys):
    scale.main(["--rules-in-memory", "--sizes", str(SIZE)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["in", "memory", f"{SIZE:,}"]
    labels = [line[: scale.LABEL_WIDTH].strip() for line in lines[2:]]
    assert labels == [f"selection {entry.id} (s)" for entry in rules("selection")]
