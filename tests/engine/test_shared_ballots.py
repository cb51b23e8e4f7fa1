"""Ballots that share one scores dict, as the store reads a round and the project vote
keeps it (one dict per distinct vote, ``decide.project_profile``), are counted exactly as
ballots that each hold their own copy: every rule counts a shared dict once per ballot."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine.greedy import greedy, tally
from budgeting.engine.mes import equal_shares
from budgeting.engine.mes.election import _group_ballots
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile
from budgeting.engine.phragmen import phragmen


@st.composite
def shared_and_copied(draw: st.DrawFn) -> tuple[ProjectProfile, ProjectProfile]:
    """One profile twice: ballots sharing one dict per distinct vote, and a copy each."""
    ids = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    points = draw(st.booleans())
    votes = draw(
        st.lists(
            st.dictionaries(
                st.sampled_from(ids),
                st.integers(1, 4 if points else 1).map(Fraction),
                min_size=1,
            ),
            min_size=1,
            max_size=4,
        )
    )
    picks = draw(st.lists(st.integers(0, len(votes) - 1), min_size=1, max_size=12))
    projects = tuple(Project(pid, Fraction(draw(st.integers(1, 30)))) for pid in ids)
    budget = Fraction(draw(st.integers(1, 80)))

    def profile(ballots: list[dict[str, Fraction]]) -> ProjectProfile:
        return ProjectProfile(
            budget=budget,
            projects=projects,
            ballots=tuple(
                ProjectBallot(scores, voter_id=str(number))
                for number, scores in enumerate(ballots, start=1)
            ),
            vote_type="cumulative" if points else "approval",
        )

    return profile([votes[pick] for pick in picks]), profile([dict(votes[p]) for p in picks])


@settings(max_examples=150, deadline=None)
@given(shared_and_copied())
def test_shared_dicts_count_as_copies(profiles: tuple[ProjectProfile, ProjectProfile]) -> None:
    shared, copied = profiles
    assert tally(shared) == tally(copied)
    assert greedy(shared) == greedy(copied)
    assert equal_shares(shared) == equal_shares(copied)
    if shared.vote_type == "approval":
        assert phragmen(shared) == phragmen(copied)


def test_equal_ballots_in_shared_or_separate_dicts_form_one_group_each_in_ballot_order() -> None:
    for first, second in (
        ({"p1": Fraction(1), "p2": Fraction(1)}, {"p2": Fraction(1)}),
        ({"p1": Fraction(2), "p2": Fraction(1)}, {"p1": Fraction(1), "p2": Fraction(2)}),
    ):
        votes = [second, first, dict(second), second, dict(first), dict(reversed(first.items()))]
        profile = ProjectProfile(
            budget=Fraction(10),
            projects=(Project("p1", Fraction(3)), Project("p2", Fraction(4))),
            ballots=tuple(map(ProjectBallot, votes)),
            vote_type="approval" if set(first.values()) == {1} else "cumulative",
        )
        projects, scores, ballot_group = _group_ballots(profile)
        assert ballot_group == [0, 1, 0, 0, 1, 1]
        assert projects == [tuple(sorted(second)), tuple(sorted(first))]
        if scores is not None:
            assert scores == [tuple(second[p] for p in sorted(second)), (2, 1)]
