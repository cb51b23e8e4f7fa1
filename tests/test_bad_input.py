"""Every entry point answers bad input with one clear message, never a traceback, and never
writes half of it: the pabulib reader, the command line, the CSV imports and the store's
ballot API, each fed text and values hypothesis makes from the pieces real files are made of
(and from the cases found by hand: huge numbers, other digits, unclosed quotes, repeated
voter ids, files cut short)."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from budgeting import store
from budgeting.__main__ import main
from budgeting.engine.pabulib import PabulibError, parse_pb
from tests.store.conftest import BALANCED, PROJECTS_CSV, SERVICES_CSV, open_round, raw_rows

GOOD_PB = """META
key;value
budget;100
vote_type;approval
num_votes;2
PROJECTS
project_id;cost;name
a;40;"Park ""Green"" corner"
b;60;Library
VOTES
voter_id;vote
v1;a,b
v2;b
"""
PIECES = [
    "META", "PROJECTS", "VOTES", "key;value", "project_id;cost;name", "voter_id;vote",
    "voter_id;vote;points", "budget;100", "vote_type;cumulative", "vote_type;ordinal",
    "num_votes;3", "a;40;Park", "b;1e9;x", "v1;a,b", "v1;a;1", "v2;b,b", '"', ";", ",",
    "9" * 400, "\u0664\u0660", "-5", "1/0", "nan", "", "\r",
]  # fmt: skip
LINES = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=14)
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def mutated_pb(lines: list[str], position: int) -> str:
    """The good file with ``lines`` spliced in at ``position``."""
    good = GOOD_PB.splitlines()
    at = position % (len(good) + 1)
    return "\n".join([*good[:at], *lines, *good[at:]]) + "\n"


def run_cli(*args: str) -> tuple[int, str]:
    """Exit status and standard error of one command, run in this process."""
    errors, output = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(output):
        status = main(list(args))
    return status, errors.getvalue()


def assert_one_clear_line(status: int, errors: str) -> None:
    assert status in (0, 1, 2)
    if status:
        assert errors.startswith("error: ") and errors.count("\n") == 1, errors
        assert "Traceback" not in errors


@HYPOTHESIS
@given(LINES, st.integers(0, 20))
@example(["v1;a"], 13)  # a repeated voter id
@example(["a;" + "9" * 400 + ";big"], 8)
def test_the_pabulib_reader_accepts_or_names_the_problem(lines: list[str], position: int) -> None:
    try:
        parse_pb(mutated_pb(lines, position)).to_profile()
    except PabulibError as error:
        assert str(error) and "\n" not in str(error)


@HYPOTHESIS
@given(LINES, st.integers(0, 20), st.sampled_from(["greedy", "mes", "phragmen", "recorded"]))
def test_select_answers_any_file_in_one_line(
    tmp_path: Path, lines: list[str], position: int, rule: str
) -> None:
    path = tmp_path / "election.pb"
    path.write_text(mutated_pb(lines, position), encoding="utf-8")
    assert_one_clear_line(*run_cli("select", str(path), "--rule", rule))


@HYPOTHESIS
@given(
    st.lists(
        st.lists(st.sampled_from(["60", "40", "", "-1", "1/3", "abc", "9" * 400, "\u0661"])),
        max_size=5,
    ),
    st.sampled_from(["100", "0", "-5", "1e3", "9" * 400, "\u0661\u0660\u0660"]),
)
def test_aggregate_answers_any_csv_in_one_line(
    tmp_path: Path, rows: list[list[str]], budget: str
) -> None:
    path = tmp_path / "ballots.csv"
    path.write_text("parks,library\n" + "".join(",".join(r) + "\n" for r in rows), "utf-8")
    assert_one_clear_line(*run_cli("aggregate", str(path), "--rule", "mean", "--budget", budget))


CELLS = st.sampled_from(["", "A", "B", "Play", "6,000", "-1", "abc", "£2,000.505", "9" * 30, '"'])


def csv_text(header: str, rows: list[list[str]]) -> str:
    return header + "\n" + "".join(",".join(row) + "\n" for row in rows)


@pytest.mark.slow  # hypothesis over the store: in .ci/run
@HYPOTHESIS
@given(st.lists(st.lists(CELLS, min_size=1, max_size=8), max_size=4))
def test_imports_take_the_whole_file_or_nothing(rows: list[list[str]]) -> None:
    conn = store.connect(":memory:")
    try:
        round_id = store.create_round(
            conn, name="Ward", service_budget=Fraction(10_000), project_budget=Fraction(8_000)
        )
        for importer, header, table in (
            (store.import_services_csv, SERVICES_CSV.splitlines()[0], "services"),
            (store.import_projects_csv, PROJECTS_CSV.splitlines()[0], "projects"),
        ):
            try:
                importer(conn, round_id, csv_text(header, rows))
            except store.StoreError as error:
                assert str(error)
                assert raw_rows(conn, f"SELECT count(*) FROM {table}") == [(0,)]
    finally:
        conn.close()


VALUES = st.one_of(
    st.integers(-(10**20), 10**20),
    st.fractions(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@pytest.mark.slow  # hypothesis over the store: in .ci/run
@HYPOTHESIS
@given(
    st.dictionaries(st.sampled_from(["parks", "libraries", "pools"]), VALUES, max_size=3),
    st.dictionaries(st.sampled_from(["A", "B", "C", "Z"]), VALUES, max_size=4),
    st.sampled_from([None, "", "-", "   ", "CODE-001", "code 001", "UNKNOWN"]),
)
@example(BALANCED, {"A": 1}, "-")
def test_the_ballot_api_stores_a_valid_ballot_or_says_why(
    allocation: dict[str, object], scores: dict[str, object], code: str | None
) -> None:
    conn = store.connect(":memory:")
    try:
        round_id = open_round(conn)
        store.add_voter_codes(conn, round_id, ["CODE-001"])
        try:
            store.submit_ballot(
                conn, round_id, allocation=allocation, project_scores=scores, code=code
            )
        except store.BallotRejected as rejected:
            assert rejected.problems and all(p.message("en") for p in rejected.problems)
            assert store.ballot_count(conn, round_id) == 0
        else:
            assert store.ballot_count(conn, round_id) == 1
            assert code is not None and code.strip(" -")
    finally:
        conn.close()


def test_a_second_process_on_the_database_gets_a_sentence(tmp_path: Path) -> None:
    path = str(tmp_path / "budget.duckdb")
    holder = store.connect(path)
    try:
        status, errors = run_cli("results", "--round", "r", "--db", path)
    finally:
        holder.close()
    assert_one_clear_line(status, errors)
    assert status == 1 and "stop the app" in errors
