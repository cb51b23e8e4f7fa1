"""Ballots that share one scores dict, as the store reads a round (one dict per distinct
vote), are counted exactly as ballots that each hold their own copy: the rules group the
dicts by identity first (``engine.bulk``) and only then by content."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine.bulk import first_appearances, shared_objects, weighted_objects
from budgeting.engine.greedy import greedy, tally
from budgeting.engine.mes import equal_shares
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile
from budgeting.engine.phragmen import phragmen


def test_objects_are_grouped_by_identity_in_order_of_first_appearance() -> None:
    first, second, equal_to_first = {"a": 1}, {"b": 1}, {"a": 1}
    distinct, numbers = shared_objects([first, second, first, equal_to_first, second])
    assert distinct == [first, second, equal_to_first]
    assert [id(d) for d in distinct] == [id(first), id(second), id(equal_to_first)]
    assert numbers == [0, 1, 0, 2, 1]
    weighted = weighted_objects([first, second, first, equal_to_first, second])
    assert [(id(d), times) for d, times in weighted] == [
        (id(first), 2),
        (id(second), 2),
        (id(equal_to_first), 1),
    ]


def test_first_appearances_numbers_each_key_among_the_distinct_ones() -> None:
    assert first_appearances(["c", "a", "c", "b", "a"]) == (["c", "a", "b"], [0, 1, 0, 2, 1])
    assert first_appearances([]) == ([], [])


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
