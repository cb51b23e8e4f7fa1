"""pabulib ``.pb`` reading, scoring and writing, on every real file and on broken ones."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from budgeting.engine.pabulib import PabulibError, parse_pb, read_pb, write_pb
from tests.conftest import PABULIB_DIR, load_pb, load_profile, manifest

FILES = [entry["file"] for entry in manifest()]

SMALL = """META
key;value
budget;100.50
vote_type;approval
PROJECTS
project_id;cost;name
a;40;"Park ""Green"" corner"
b;60.25;Library
VOTES
voter_id;vote
v1;a,b
v2;b
"""


@pytest.mark.parametrize("name", FILES)
def test_every_file_round_trips(name: str) -> None:
    raw = (PABULIB_DIR / name).read_bytes().decode("utf-8")
    pbfile = load_pb(name)
    written = write_pb(pbfile)
    assert parse_pb(written) == pbfile
    if "\r\n" not in raw or raw.count("\n") == raw.count("\r\n"):
        assert written == raw, "a file with one line ending is written back byte for byte"


@pytest.mark.parametrize("entry", manifest(), ids=lambda entry: entry["file"])
def test_every_file_matches_its_manifest(entry: dict) -> None:
    pbfile = load_pb(entry["file"])
    profile = load_profile(entry["file"])
    assert pbfile.vote_type == entry["vote_type"] == profile.vote_type
    assert len(profile.projects) == entry["num_projects"]
    assert len(profile.ballots) == entry["num_voters"]
    assert profile.budget == Fraction(entry["budget"])
    assert ";".join(pbfile.project_columns) == entry["projects_header"]
    assert ";".join(pbfile.vote_columns) == entry["votes_header"]


@pytest.mark.parametrize(
    "name",
    [
        "Poland_Krakow_2024_Podgorze.pb",
        "Poland_Katowice_2023.pb",
        "France_Toulouse_2019.pb",
        "Poland_Czestochowa_2024_Mirow.pb",
    ],
)
def test_scores_add_up_to_the_recorded_score_column(name: str) -> None:
    """Kraków's recorded scores are 3/2/1 per rank; cumulative scores are total points."""
    pbfile = load_pb(name)
    totals: Counter[str] = Counter()
    for ballot in load_profile(name).ballots:
        totals.update(ballot.scores)
    for row in pbfile.projects:
        assert totals[row["project_id"]] == Fraction(row["score"]), row["project_id"]


def test_approval_votes_add_up_to_the_recorded_votes_column() -> None:
    name = "Poland_Warszawa_2023_Mokotow.pb"
    totals: Counter[str] = Counter()
    for ballot in load_profile(name).ballots:
        totals.update(ballot.scores)
    for row in load_pb(name).projects:
        assert totals[row["project_id"]] == int(row["votes"])


def test_ordinal_ballots_keep_their_ranking_and_score_k_minus_rank_plus_one() -> None:
    profile = load_profile("Poland_Krakow_2024.pb")
    for ballot in profile.ballots[:200]:
        assert list(ballot.scores) == list(ballot.ranking)
        assert [int(score) for score in ballot.scores.values()] == [3, 2, 1][: len(ballot.ranking)]


def test_ordinal_without_max_length_uses_the_longest_ballot() -> None:
    text = SMALL.replace("vote_type;approval", "vote_type;ordinal")
    profile = parse_pb(text).to_profile()
    assert profile.ballots[0].scores == {"a": 2, "b": 1}
    assert profile.ballots[1].scores == {"b": 2}


def test_small_file_is_exact_and_keeps_quoted_fields() -> None:
    text = SMALL.replace("b;60.25;Library", 'b;60.25;"Library; long hours"')
    pbfile = parse_pb(text)
    profile = pbfile.to_profile()
    assert profile.budget == Fraction(201, 2)
    assert profile.project("b").cost == Fraction(241, 4)
    assert profile.project("a").name == 'Park "Green" corner'
    assert pbfile.projects[1]["name"] == "Library; long hours"
    assert write_pb(pbfile) == text


def test_cumulative_points_are_read_as_scores() -> None:
    text = (
        SMALL.replace("vote_type;approval", "vote_type;cumulative")
        .replace("voter_id;vote\n", "voter_id;vote;points\n")
        .replace("v1;a,b\n", "v1;a,b;3,2\n")
        .replace("v2;b\n", "v2;b;5\n")
    )
    profile = parse_pb(text).to_profile()
    assert profile.ballots[0].scores == {"a": 3, "b": 2}
    assert profile.ballots[1].scores == {"b": 5}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("a;40;", "a;abc;", "line 7 (PROJECTS): cost 'abc' is not a number"),
        ("a;40;", "a;-40;", "line 7 (PROJECTS): cost '-40' is not a number"),
        ("a;40;", "a;nan;", "line 7 (PROJECTS): cost 'nan' is not a number"),
        ("budget;100.50", "budget;lots", "line 3 (META): budget 'lots' is not a number"),
        ("v2;b\n", "v2;c\n", "line 12 (VOTES): voter 'v2' votes for unknown project 'c'"),
        ("v2;b\n", "v2;b,b\n", "line 12 (VOTES): voter 'v2' lists a project twice"),
        ("b;60.25;", "a;60.25;", "line 8 (PROJECTS): project_id 'a' appears twice"),
        ("vote_type;approval", "vote_type;bogus", "line 4 (META): vote_type 'bogus' is not one"),
        ("v1;a,b\n", "v1;a;b;c\n", "line 11 (VOTES): 4 fields but the header has 2"),
        ("PROJECTS\n", "", "line 5 (META): 3 fields but the header has 2"),
        ("VOTES\nvoter_id;vote\nv1;a,b\nv2;b\n", "", "the VOTES section is missing"),
        ("project_id;cost;name", "project_id;price;name", "line 6 (PROJECTS): the header has no"),
        ("META\n", "", "line 1: expected the META section header, found 'key'"),
        ("v2;b\n", "v1;b\n", "line 12 (VOTES): voter_id 'v1' appears twice"),
        ("a;40;", "a;" + "9" * 400 + ";", "line 7 (PROJECTS): cost '999"),
        ("a;40;", "a;\u0664\u0660;", "line 7 (PROJECTS): cost '\u0664\u0660' is not a number"),
        ("budget;100.50", "budget;1" + "0" * 15, "line 3 (META): budget '1000"),
        (
            "budget;100.50",
            "budget;100.50\nnum_votes;3",
            "line 4 (META): the VOTES section has 2 voters but",
        ),
        (
            "budget;100.50",
            "budget;100.50\nnum_projects;3",
            "line 4 (META): the PROJECTS section has 2 projects",
        ),
        ('"Park ""Green"" corner"', '"Park ""Green corner', "line 7 (PROJECTS): a quote opened"),
    ],
)
def test_malformed_files_name_line_and_section(old: str, new: str, message: str) -> None:
    text = SMALL
    assert old in text
    with pytest.raises(PabulibError) as caught:
        parse_pb(text.replace(old, new, 1)).to_profile()
    assert str(caught.value).startswith(message)


def test_choose_one_ballot_with_two_projects_is_rejected() -> None:
    text = SMALL.replace("vote_type;approval", "vote_type;choose-1")
    with pytest.raises(PabulibError, match=r"line 11 \(VOTES\): voter 'v1' chooses 2"):
        parse_pb(text).to_profile()


def test_unreadable_files_raise_pabulib_errors(tmp_path: Path) -> None:
    with pytest.raises(PabulibError, match="cannot read"):
        read_pb(tmp_path / "missing.pb")
    broken = tmp_path / "broken.pb"
    broken.write_bytes(SMALL.encode("utf-8").replace(b"Park", b"P\xffrk"))
    with pytest.raises(PabulibError, match="line 7: not valid UTF-8"):
        read_pb(broken)
