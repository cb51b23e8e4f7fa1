"""The results layer: a stored round decided by its own rules, published as data and as a
pabulib file that recomputes the same winners."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from budgeting import store
from budgeting.engine.mes import equal_shares
from budgeting.engine.pabulib import parse_pb
from budgeting.engine.registry import recorded_rule, selection_rule
from budgeting.engine.steps import EqualSharesStep, GreedyStep
from budgeting.results import decide
from tests.store.conftest import BALANCED, open_round

ROOT = Path(__file__).resolve().parents[2]
CHOICES = [{"A": 1, "B": 1}, {"A": 1}, {"B": 1, "C": 1}, {"C": 1}, {"A": 1, "C": 1}, {}]


def voted_round(conn: duckdb.DuckDBPyConnection, **settings: object) -> str:
    """An open round (budget £8,000 for projects A £6,000, B £3,000, C £2,000) with six
    web ballots, the last choosing no project."""
    round_id = open_round(conn, code_mode="open", **settings)
    for scores in CHOICES:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores=scores)
    return round_id


@pytest.fixture
def conn():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def test_a_round_is_decided_by_its_own_rules_over_its_current_ballots(conn) -> None:
    round_id = voted_round(conn, selection_rule="mes", completion="add1")
    decision = decide.decide_round(conn, round_id)
    assert decision.ballots == len(CHOICES)
    assert sum(decision.allocation.amounts.values()) == Fraction(10_000)
    stored = store.current_ballots(conn, round_id)
    profile = decide.project_profile(
        decision.voting_round, decision.projects, [b.project_scores for b in stored]
    )
    assert decision.profile == profile  # read by ``current_votes``: the same vote
    assert len(profile.ballots) == len(CHOICES) - 1  # no project chosen: no preference
    # Voters are numbered in ballot order, never by stored id (which the audit log links
    # to a receipt).
    assert profile.voter_ids() == ["1", "2", "3", "4", "5"]
    assert decision.selection == equal_shares(profile, completion="add1")
    assert all(isinstance(step, EqualSharesStep) for step in decision.selection.steps)
    assert decision.tallies["A"].supporters == 3


def test_ballots_with_the_same_vote_share_one_engine_ballot(conn) -> None:
    round_id = open_round(conn, code_mode="open")
    for scores in ({"A": 1, "B": 1}, {"C": 1}, {"B": 1, "A": 1}, {"A": 1, "B": 1}):
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores=scores)
    ballots = decide.decide_round(conn, round_id).profile.ballots
    assert ballots[0] is ballots[2] is ballots[3] and ballots[1] is not ballots[0]
    assert ballots[0].scores == {"A": 1, "B": 1} and ballots[1].scores == {"C": 1}


def test_the_profile_holds_every_ballot_s_points_exactly(conn) -> None:
    round_id = open_round(conn, code_mode="open", ballot_format="points", max_points=6)
    votes = [{"A": 3, "B": 2}, {"B": 5}, {}, {"C": 1, "A": 1}, {"A": 3, "B": 2}, {"C": 6}]
    for scores in votes:
        store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores=scores)
    profile = decide.project_profile(
        store.get_round(conn, round_id),
        store.list_projects(conn, round_id),
        store.current_votes(conn, round_id, allocations=False).scores or [],
    )
    assert profile.vote_type == "cumulative"
    assert [ballot.scores for ballot in profile.ballots] == [
        {pid: Fraction(score) for pid, score in scores.items()} for scores in votes if scores
    ]
    assert {type(score) for b in profile.ballots for score in b.scores.values()} == {Fraction}


def test_options_are_the_round_settings_the_rule_takes(conn) -> None:
    round_id = voted_round(conn, selection_rule="greedy", completion="add1")
    decision = decide.decide_round(conn, round_id)
    assert decision.selection.rule == "greedy"
    assert all(isinstance(step, GreedyStep) for step in decision.selection.steps)
    greedy = selection_rule("greedy")
    assert decide.selection_options(decision.voting_round, greedy) == {}


def test_an_unknown_round_is_a_store_error(conn) -> None:
    with pytest.raises(store.StoreError, match="no round 'nowhere'"):
        decide.decide_round(conn, "nowhere")


def test_the_decision_is_published_as_plain_json(conn) -> None:
    round_id = voted_round(conn)
    data = decide.decision_data(decide.decide_round(conn, round_id))
    again = json.loads(json.dumps(data))
    assert again["round"] == round_id and again["ballots"] == len(CHOICES)
    assert sum(again["allocation"]["amounts"].values()) == 10_000
    steps = again["steps"]
    assert [step["project_id"] for step in steps] == again["selected"]
    assert steps[0]["kind"] == "mes_round"
    assert {"share_per_point", "budget_left", "cost"} <= set(steps[0]["details"])


@pytest.mark.parametrize(
    ("settings", "choices"),
    [
        ({"selection_rule": "mes", "completion": "add1"}, None),
        ({"selection_rule": "mes", "completion": "add1u"}, None),
        ({"selection_rule": "greedy"}, None),
        ({"selection_rule": "phragmen"}, None),
        (
            {"selection_rule": "mes", "completion": "add1", "ballot_format": "points"},
            [{"A": 3, "B": 2}, {"C": 5}, {"B": 1, "C": 4}, {"A": 5}],
        ),
    ],
    ids=["equal-shares-add1", "equal-shares-add1u", "greedy", "phragmen", "points"],
)
def test_the_pabulib_export_recomputes_the_published_winners(conn, settings, choices) -> None:
    if choices is None:
        round_id = voted_round(conn, **settings)
    else:
        round_id = open_round(conn, code_mode="open", max_approvals=None, max_points=5, **settings)
        for scores in choices:
            store.submit_ballot(conn, round_id, allocation=BALANCED, project_scores=scores)
    text = decide.round_pb(conn, round_id)
    published = parse_pb(text)
    chosen, options = recorded_rule(published)
    recomputed = chosen.run(published.to_profile(), **options)
    decided = decide.decide_round(conn, round_id).selection.selected
    assert recomputed.selected == decided
    marked = {row["project_id"] for row in published.projects if row["selected"] == "1"}
    assert marked == set(decided)


def test_the_pabulib_export_is_anonymous(conn) -> None:
    round_id = voted_round(conn)
    receipts = [ballot.receipt for ballot in store.current_ballots(conn, round_id)]
    text = decide.round_pb(conn, round_id)
    assert not any(receipt in text for receipt in receipts)
    votes = parse_pb(text).votes
    assert [row["voter_id"] for row in votes] == ["1", "2", "3", "4", "5"]


@pytest.mark.slow  # command-line runs over a database: in .ci/run
def test_the_command_line_prints_a_stored_rounds_results(tmp_path: Path) -> None:
    path = str(tmp_path / "budget.duckdb")
    connection = store.connect(path)
    round_id = voted_round(connection)
    expected = decide.decide_round(connection, round_id).selection.selected
    connection.close()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "budgeting", *args, "--db", path]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)

    as_json = run("results", "--round", round_id, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert tuple(json.loads(as_json.stdout)["selected"]) == expected
    as_text = run("results", "--round", round_id)
    assert f"{len(expected)} funded" in as_text.stdout
    as_pb = run("export", "--round", round_id, "--format", "pb")
    assert parse_pb(as_pb.stdout).meta["rule"] == "equalshares/add1"
    written = tmp_path / "round.pb"
    to_file = run("export", "--round", round_id, "--format", "pb", "--out", str(written))
    assert to_file.stdout == f"Wrote {written}\n"
    replayed = subprocess.run(
        [sys.executable, "-m", "budgeting", "select", str(written), "--rule", "recorded"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "This matches the recorded selection (equalshares/add1)." in replayed.stdout
    missing = run("results", "--round", "nowhere")
    assert missing.returncode == 1
    assert missing.stderr == "error: there is no round 'nowhere'\n"


def test_the_command_line_reads_a_database_and_never_writes_one(tmp_path: Path) -> None:
    path = tmp_path / "budget.duckdb"

    def run_results() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "budgeting", "results", "--round", "r", "--db", str(path)]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)

    mistyped = run_results()
    assert (mistyped.returncode, mistyped.stderr) == (
        1,
        f"error: there is no database file at {path}\n",
    )
    assert not path.exists()
    app_holds_it = store.connect(str(path))  # as the running app would
    try:
        locked = run_results()
    finally:
        app_holds_it.close()
    assert locked.returncode == 1
    assert locked.stderr.startswith(f"error: cannot read {path}")
    assert "stop the app or read a copy of the file made with its .wal file" in locked.stderr
    assert len(locked.stderr.splitlines()) == 1


@pytest.mark.slow  # command-line runs over a database: in .ci/run
def test_the_command_line_opens_closes_and_publishes_and_says_why_not(tmp_path: Path) -> None:
    path = str(tmp_path / "budget.duckdb")
    connection = store.connect(path)
    ready = voted_round(connection)
    store.update_round(connection, ready, status="closed")
    empty = store.create_round(
        connection, name="Empty", service_budget=Fraction(1), project_budget=Fraction(1)
    )
    connection.close()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "budgeting", "round", *args, "--db", path]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)

    not_ready = run("open", "--round", empty)
    assert not_ready.returncode == 1
    assert not_ready.stderr.startswith("error: the round cannot open: ")
    assert "at least one service" in not_ready.stderr and len(not_ready.stderr.splitlines()) == 1
    backwards = run("open", "--round", ready)
    assert "cannot go from closed to open" in backwards.stderr
    published = run("publish", "--round", ready, "--officer", "alice")
    assert published.stdout == f"Round {ready} is now published.\n"
    connection = store.connect(path)
    assert store.get_round(connection, ready).status == "published"
    assert store.audit_log(connection, ready)[-1].details["actor"] == "alice"
    connection.close()


def test_scores_given_one_by_one_give_each_voter_their_own(conn) -> None:
    """Scores handed over as they are made (a generator, each dict gone once read) are each
    voter's own: converted copies are looked up by the dicts they came from."""
    round_id = open_round(conn, code_mode="open", ballot_format="points", max_points=6)
    votes = [{"A": n % 5 + 1, "B": n % 3} for n in range(40)]
    profile = decide.project_profile(
        store.get_round(conn, round_id),
        store.list_projects(conn, round_id),
        ({pid: score for pid, score in scores.items()} for scores in votes),
    )
    assert [dict(b.scores) for b in profile.ballots] == [
        {pid: Fraction(score) for pid, score in scores.items()} for scores in votes
    ]
