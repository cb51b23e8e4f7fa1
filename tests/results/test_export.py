"""Exports a council publishes (anonymised ballots as CSV, Parquet and pabulib ``.pb``,
results as CSV) and the officers' command line: a demo database, close, publish, export,
recompute."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from budgeting import store
from budgeting.demo import DEMO_ROUND_ID
from budgeting.passwords import verify_password
from budgeting.results import decide, export
from tests.store.conftest import BALANCED, open_round

ROOT = Path(__file__).resolve().parents[2]
# Arrival order differs from the canonical order: Tuesday's ballot came first.
ARRIVALS = [
    (datetime(2027, 3, 2, 9, 15, 42), "web", "North", "25-34", {"B": 1}),
    (datetime(2027, 3, 1, 18, 3, 7), "paper", "South", "65+", {"A": 1, "C": 1}),
    (datetime(2027, 3, 1, 8, 0, 1), "web", "North", "16-24", {}),
]


@pytest.fixture
def conn():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "budgeting", *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def ballots_round(conn) -> str:
    round_id = open_round(conn, code_mode="open")
    for at, channel, area, age_band, scores in ARRIVALS:
        store.submit_ballot(
            conn,
            round_id,
            allocation=BALANCED,
            project_scores=scores,
            channel=channel,
            area=area,
            age_band=age_band,
            submitted_at=at,
        )
    return round_id


def test_ballots_csv_is_anonymised_and_in_canonical_order(conn):
    round_id = ballots_round(conn)
    text = export.ballots_csv(conn, round_id)
    for ballot in store.current_ballots(conn, round_id):
        assert ballot.receipt not in text
        assert ballot.submitted_at.strftime("%H:%M") not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["day"] for row in rows] == ["2027-03-01", "2027-03-01", "2027-03-02"]
    assert [(row["channel"], row["area"], row["age_band"]) for row in rows] == [
        ("paper", "South", "65+"),
        ("web", "North", "16-24"),
        ("web", "North", "25-34"),
    ]
    assert [row["projects"] for row in rows] == ["A;C", "", "B"]
    assert [row["ballot"] for row in rows] == ["1", "2", "3"]
    assert {row["service:parks"] for row in rows} == {"6000"}


def test_every_amount_is_exported_to_the_penny(conn):
    """Amounts are exported from their integers over one common denominator: pennies, whole
    pounds and the same amount on several ballots each come out as the amount given."""
    round_id = open_round(conn, code_mode="open")
    splits = [
        ("6000.01", "3999.99"),
        ("5000", "5000"),
        ("6000.01", "3999.99"),
        ("4500.5", "5499.5"),
    ]
    for parks, libraries in splits:
        store.submit_ballot(
            conn,
            round_id,
            allocation={"parks": Fraction(parks), "libraries": Fraction(libraries)},
            project_scores={},
        )
    rows = list(csv.DictReader(io.StringIO(export.ballots_csv(conn, round_id))))
    exported = sorted((Decimal(r["service:parks"]), Decimal(r["service:libraries"])) for r in rows)
    assert exported == sorted((Decimal(p), Decimal(lib)) for p, lib in splits)
    assert {r["service:parks"] for r in rows} >= {"6000.01", "4500.5"}


def test_parquet_holds_the_same_ballots_with_exact_money(conn):
    round_id = ballots_round(conn)
    table = pq.read_table(io.BytesIO(export.ballots_parquet(conn, round_id)))
    assert table.num_rows == 3
    assert table.schema.field("service:libraries").type.scale == 2
    as_csv = list(csv.DictReader(io.StringIO(export.ballots_csv(conn, round_id))))
    for row, stored in zip(table.to_pylist(), as_csv, strict=True):
        assert row["day"].isoformat() == stored["day"]
        assert row["projects"] == stored["projects"]
        assert row["service:libraries"] == Decimal(stored["service:libraries"])


def test_points_ballots_keep_their_points(conn):
    round_id = open_round(
        conn, code_mode="open", ballot_format="points", max_points=5, max_approvals=None
    )
    store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores={"C": 2, "A": 3})
    rows = list(csv.DictReader(io.StringIO(export.ballots_csv(conn, round_id))))
    assert rows[0]["projects"] == "A=3;C=2"


def test_results_csv_lists_the_decided_round(conn):
    round_id = ballots_round(conn)
    decision = decide.decide_round(conn, round_id)
    rows = list(csv.DictReader(io.StringIO(export.results_csv(conn, round_id))))
    funded = [row["id"] for row in rows if row["kind"] == "project" and row["funded"] == "yes"]
    assert set(funded) == set(decision.selection.selected)
    amounts = {row["id"]: Fraction(row["amount"]) for row in rows if row["kind"] == "service"}
    assert amounts == dict(decision.allocation.amounts)
    supporters = {row["id"]: int(row["supporters"]) for row in rows if row["kind"] == "project"}
    assert supporters == {"A": 1, "B": 1, "C": 1}


def test_an_unknown_format_or_round_is_refused(conn):
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        export.ballots_file(conn, ballots_round(conn), "xlsx")
    with pytest.raises(store.StoreError, match="no round 'nowhere'"):
        export.ballots_csv(conn, "nowhere")


@pytest.mark.slow  # a dozen command-line runs: in .ci/run, not the quick run
def test_an_officer_scripts_a_round_from_demo_to_a_recomputed_export(tmp_path: Path):
    database = tmp_path / "budget.duckdb"
    made = cli("demo", "--db", database)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Demo round {DEMO_ROUND_ID} is in ")
    again = cli("demo", "--db", database)  # a file that holds the demo is left as it is
    assert again.stdout == made.stdout
    for action in ("close", "publish"):
        moved = cli("round", action, "--round", DEMO_ROUND_ID, "--db", database)
        assert moved.returncode == 0, moved.stderr
    results = cli("results", "--round", DEMO_ROUND_ID, "--db", database, "--json")
    published = json.loads(results.stdout)
    for file_format in ("pb", "csv", "parquet", "results-csv"):
        out = tmp_path / f"export.{file_format}"
        wrote = cli(
            "export", "--round", DEMO_ROUND_ID, "--db", database, "--format", file_format,
            "--out", out,
        )  # fmt: skip
        assert wrote.stdout == f"Wrote {out}\n", wrote.stderr
    replayed = json.loads(
        cli("select", tmp_path / "export.pb", "--rule", "recorded", "--json").stdout
    )
    assert replayed["selected"] == published["selected"]
    assert replayed["matches_recorded"] is True
    same_keys = set(replayed) - {"recorded_selected", "matches_recorded"}
    assert same_keys <= set(published)
    assert {k: replayed[k] for k in same_keys} == {k: published[k] for k in same_keys}
    assert pq.read_table(tmp_path / "export.parquet").num_rows == 300
    results_rows = list(csv.DictReader((tmp_path / "export.results-csv").open()))
    assert [r["id"] for r in results_rows if r["funded"] == "yes"] == sorted(
        published["selected"], key=[r["id"] for r in results_rows].index
    )


def test_hash_password_reads_the_password_twice_from_standard_input():
    def hashed(typed: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "budgeting", "hash-password"]
        return subprocess.run(
            command, cwd=ROOT, input=typed, capture_output=True, text=True, check=False
        )

    made = hashed("river 2027\nriver 2027\n")
    assert made.returncode == 0, made.stderr
    assert verify_password("river 2027", made.stdout.strip())
    assert not verify_password("river 2028", made.stdout.strip())
    differ = hashed("river 2027\nriver 2028\n")
    assert (differ.returncode, differ.stdout) == (1, "")
    assert differ.stderr == "error: the two passwords differ; nothing printed\n"
    assert hashed("\n\n").stderr == "error: the password is empty; nothing printed\n"
