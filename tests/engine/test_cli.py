"""The command line, run as residents and officers would: exit codes, JSON, error lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PABULIB_DIR

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "budgeting", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(completed: subprocess.CompletedProcess[str], status: int, text: str):
    assert completed.returncode == status
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("error: ")
    assert text in lines[0]
    assert "Traceback" not in completed.stderr


def test_select_recorded_greedy_as_json() -> None:
    completed = run(
        "select", PABULIB_DIR / "Poland_Warszawa_2017_Nadwisle.pb", "--rule", "recorded", "--json"
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["rule"] == "greedy"
    assert payload["selected"] == ["558", "1441", "582", "1408", "547"]
    assert payload["cost"] == 98600
    assert payload["budget"] == 98600
    assert payload["matches_recorded"] is True
    assert [step["kind"] for step in payload["steps"]] == ["selected"] * 5


def test_select_recorded_equal_shares_as_json() -> None:
    completed = run(
        "select", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "recorded", "--json"
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["rule"] == "mes"
    assert payload["options"] == {"completion": "add1"}
    assert sorted(payload["selected"], key=int) == ["2", "3", "5", "6", "9", "11", "12", "13", "14"]
    assert payload["matches_recorded"] is True


def test_select_with_options_and_decimal_budget() -> None:
    completed = run(
        "select",
        PABULIB_DIR / "Poland_Krakow_2024_Podgorze.pb",
        "--rule",
        "greedy",
        "--threshold",
        "1000",
        "--no-skip",
        "--json",
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["budget"] == 2572946.76
    assert payload["options"] == {"threshold": 1000, "no_skip": True}
    kinds = {step["kind"] for step in payload["steps"]}
    assert "below_threshold" in kinds
    assert payload["cost"] <= payload["budget"]


def test_select_readable_table() -> None:
    completed = run("select", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "greedy")
    assert completed.returncode == 0, completed.stderr
    assert "Selected 7 of 14 projects, cost 99,200 of 100,000" in completed.stdout
    assert "skipped_does_not_fit" in completed.stdout


def test_rules_lists_the_registry() -> None:
    completed = run("rules", "--json")
    assert completed.returncode == 0
    ids = [entry["id"] for entry in json.loads(completed.stdout)]
    assert ids == [
        "greedy",
        "greedy-cost",
        "mes",
        "phragmen",
        "max-welfare",
        "mean",
        "median",
        "independent-markets",
    ]
    table = run("rules").stdout
    assert all(rule_id in table for rule_id in ids)


def test_aggregate_csv(tmp_path: Path) -> None:
    ballots = tmp_path / "ballots.csv"
    ballots.write_text("voter_id,parks,library\nv1,60,40\nv2,20,80\nv3,50,50\n", encoding="utf-8")
    completed = run("aggregate", ballots, "--rule", "mean", "--budget", "900", "--json")
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["amounts"] == {"parks": 390, "library": 510}
    assert payload["exact_amounts"] == {"parks": "390", "library": "510"}
    table = run("aggregate", ballots, "--rule", "independent-markets", "--budget", "900")
    assert table.returncode == 0 and "parks" in table.stdout


@pytest.mark.parametrize(
    ("args", "status", "text"),
    [
        (("select", "missing.pb", "--rule", "greedy"), 1, "cannot read missing.pb"),
        (
            ("select", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "nope"),
            1,
            "unknown rule 'nope'",
        ),
        (
            ("select", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "mean"),
            1,
            "use 'aggregate'",
        ),
        (
            (
                "select",
                PABULIB_DIR / "Netherlands_Assen_2024.pb",
                "--rule",
                "greedy",
                "--completion",
                "add1",
            ),
            2,
            "takes no --completion",
        ),
        (
            (
                "select",
                PABULIB_DIR / "Netherlands_Assen_2024.pb",
                "--rule",
                "mes",
                "--completion",
                "add7",
            ),
            2,
            "--completion must be one of",
        ),
        (
            ("select", PABULIB_DIR / "France_Toulouse_2019.pb", "--rule", "phragmen"),
            1,
            "does not read cumulative",
        ),
        (
            ("select", PABULIB_DIR / "Switzerland_Zurich_D10.pb", "--rule", "recorded"),
            1,
            "META rule 'unknown'",
        ),
        (
            (
                "select",
                PABULIB_DIR / "Netherlands_Assen_2024.pb",
                "--rule",
                "greedy",
                "--threshold",
                "-3",
            ),
            2,
            "not a non-negative number",
        ),
        (("select",), 2, "required"),
        (("frobnicate",), 2, "invalid choice"),
        (
            (
                *("select", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "greedy"),
                *("--threshold", "9" * 400),
            ),
            2,
            "too large",
        ),
        (
            (
                *("aggregate", PABULIB_DIR / "Netherlands_Assen_2024.pb", "--rule", "mean"),
                *("--budget", "\u0661\u0660\u0660"),
            ),
            2,
            "is not a non-negative number",
        ),
    ],
)
def test_errors_are_one_line(args: tuple, status: int, text: str) -> None:
    assert_one_line_error(run(*args), status, text)


def test_malformed_pb_names_line_and_section(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pb"
    broken.write_text(
        "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\na;abc\n"
        "VOTES\nvoter_id;vote\nv1;a\n",
        encoding="utf-8",
    )
    assert_one_line_error(
        run("select", broken, "--rule", "greedy"),
        1,
        "line 7 (PROJECTS): cost 'abc' is not a number",
    )


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (
            "parks,library\n60,40\n20,abc\n",
            "line 3, column 'library': 'abc' is not a non-negative number",
        ),
        ("parks,library\n60,40\n20\n", "line 3: 1 amounts but 2 services"),
        ("parks,library\n60,-40\n", "line 2, column 'library': '-40'"),
        ("parks,library\n", "no ballots after the header"),
        ("", "the file is empty"),
        ("parks,parks\n1,2\n", "line 1: a service is named twice"),
        (f"parks,library\n60,{'9' * 400}\n", "line 2, column 'library': '999"),
        ("parks,library\n60,\u0664\u0660\n", "line 2, column 'library': '\u0664\u0660' is not"),
        ("parks,library\n60,1/" + "7" * 400 + "\n", "line 2, column 'library': '1/777"),
    ],
)
def test_bad_csv_names_the_line(tmp_path: Path, content: str, text: str) -> None:
    ballots = tmp_path / "ballots.csv"
    ballots.write_text(content, encoding="utf-8")
    assert_one_line_error(run("aggregate", ballots, "--rule", "mean", "--budget", "100"), 1, text)


def test_aggregate_rejects_impossible_limits(tmp_path: Path) -> None:
    ballots = tmp_path / "ballots.csv"
    ballots.write_text("parks,library\n60,40\n", encoding="utf-8")
    completed = run(
        "aggregate", ballots, "--rule", "median", "--budget", "100", "--floor", "parks=150"
    )
    assert_one_line_error(completed, 1, "floors sum to 150")
