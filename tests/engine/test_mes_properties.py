"""Properties of the Method of Equal Shares on small random profiles.

The reference here is the rule written the plain way: one exact budget per voter, every
project re-priced every round, and ``add1`` stepping one unit at a time through every
amount. Equality with it proves the grouping of ballots, the lazy queue and the skipping of
stretches in the fast implementation.
"""

from __future__ import annotations

from fractions import Fraction
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.engine import mes
from budgeting.engine.mes import _certified_run, _prepare, _restrict, _run, equal_shares
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile
from budgeting.engine.ties import tie_order_key


def plain_mes(profile: ProjectProfile, per_voter: Fraction) -> list[str]:
    """MES with utility ``score * cost``, one budget per voter, nothing cached."""
    money = [per_voter] * len(profile.ballots)
    supporters = {
        p.id: sum(1 for b in profile.ballots if p.id in b.scores) for p in profile.projects
    }
    chosen = [p.id for p in profile.projects if p.cost == 0 and supporters[p.id]]
    left = [p for p in profile.projects if p.cost > 0 and supporters[p.id]]
    while True:
        offers = []
        for project in left:
            voters = [i for i, b in enumerate(profile.ballots) if project.id in b.scores]
            utility = {i: profile.ballots[i].scores[project.id] * project.cost for i in voters}
            if sum(money[i] for i in voters) < project.cost:
                continue
            # The smallest rho with sum(min(money, rho * utility)) = cost: try each voter
            # set as the set of those who pay all they have.
            by_ratio = sorted(voters, key=lambda i: money[i] / utility[i])
            for cut in range(len(by_ratio)):
                poor, rich = by_ratio[:cut], by_ratio[cut:]
                rho = (project.cost - sum(money[i] for i in poor)) / sum(utility[i] for i in rich)
                if all(rho * utility[i] <= money[i] for i in rich):
                    break
            offers.append(
                (rho, tie_order_key(project.cost, supporters[project.id], project.id), project)
            )
        if not offers:
            return chosen
        rho, _, best = min(offers, key=lambda offer: offer[:2])
        for i, ballot in enumerate(profile.ballots):
            if best.id in ballot.scores:
                money[i] -= min(money[i], rho * ballot.scores[best.id] * best.cost)
        chosen.append(best.id)
        left.remove(best)


def plain_add1(profile: ProjectProfile, exhaustive_stop: bool) -> list[str]:
    """Step every voter's money up by one unit at a time, as pabutools does."""
    cost = {p.id: p.cost for p in profile.projects}
    available = [
        p for p in profile.projects if p.cost > 0 and any(p.id in b.scores for b in profile.ballots)
    ]
    start = profile.budget / len(profile.ballots)
    previous = plain_mes(profile, start)
    step = 0
    while True:
        outcome = plain_mes(profile, start + step)
        spent = sum(cost[pid] for pid in outcome)
        if spent > profile.budget:
            return previous
        if exhaustive_stop and all(
            p.id in outcome or spent + p.cost > profile.budget for p in available
        ):
            return outcome
        if step >= profile.budget:
            return outcome
        previous, step = outcome, step + 1


@st.composite
def profiles(draw: st.DrawFn, vote_type: str = "approval") -> ProjectProfile:
    ids = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    costs = {pid: Fraction(draw(st.integers(1, 30))) for pid in ids}
    voters = draw(st.integers(1, 7))
    ballots = []
    for voter in range(voters):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
        if vote_type == "cumulative":
            scores = {pid: Fraction(draw(st.integers(1, 3))) for pid in chosen}
        else:
            scores = {pid: Fraction(1) for pid in chosen}
        ballots.append(ProjectBallot(scores, voter_id=f"v{voter}"))
    budget = Fraction(draw(st.integers(1, 60)), draw(st.sampled_from([1, 1, 4])))
    return ProjectProfile(
        budget=budget,
        projects=tuple(Project(pid, cost) for pid, cost in costs.items()),
        ballots=tuple(ballots),
        vote_type=vote_type,  # type: ignore[arg-type]
    )


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_matches_the_plain_rule_on_approval(profile: ProjectProfile) -> None:
    start = profile.budget / len(profile.ballots)
    assert list(equal_shares(profile).selected) == plain_mes(profile, start)


@settings(max_examples=100, deadline=None)
@given(profiles(vote_type="cumulative"))
def test_matches_the_plain_rule_on_points(profile: ProjectProfile) -> None:
    start = profile.budget / len(profile.ballots)
    assert list(equal_shares(profile).selected) == plain_mes(profile, start)


@settings(max_examples=80, deadline=None)
@given(profiles())
def test_add1_skipping_matches_stepping_through_every_amount(profile: ProjectProfile) -> None:
    assert list(equal_shares(profile, completion="add1").selected) == plain_add1(profile, False)
    exhaustive = equal_shares(profile, completion="add1-exhaustive").selected
    assert list(exhaustive) == plain_add1(profile, True)


@settings(max_examples=60, deadline=None)
@given(profiles(vote_type="cumulative"))
def test_add1_skipping_matches_stepping_on_points(profile: ProjectProfile) -> None:
    assert list(equal_shares(profile, completion="add1").selected) == plain_add1(profile, False)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(profiles(), profiles(vote_type="cumulative")),
    st.integers(0, 8),
    st.integers(1, 8),
    st.integers(1, 4),
)
def test_runs_resumed_from_a_certified_prefix_match_the_plain_rule(
    profile: ProjectProfile, low: int, width: int, parts: int
) -> None:
    # The scan certifies a stretch [a, b] from the runs at both ends and runs every amount
    # in between from the certified first purchases and price bounds; every amount in
    # between (whole or not) must give the plain rule's outcome, and a stretch certified
    # whole must repeat the outcome at a.
    election = _prepare(profile)
    start = profile.budget / len(profile.ballots)
    low_run = _run(election, start + low)
    far, resume, whole = _certified_run(election, low_run, start + low + width)

    def outcome(order: tuple[int, ...]) -> list[str]:
        return [*election.free, *(election.ids[p] for p in order)]

    assert outcome(far.order) == plain_mes(profile, start + low + width)
    for step in range(1, width * parts):
        amount = start + low + Fraction(step, parts)
        expected = plain_mes(profile, amount)
        assert outcome(_run(election, amount, resume).order) == expected
        if whole:
            assert outcome(low_run.order) == expected


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(profiles(), profiles(vote_type="cumulative")), st.integers(0, 6), st.integers(0, 6)
)
def test_runs_without_the_projects_nobody_can_afford_match_the_plain_rule(
    profile: ProjectProfile, low: int, above: int
) -> None:
    # The scans leave out every project whose supporters hold less than its cost at the
    # amount they look ahead to, and merge the ballots that then agree; runs at that amount
    # or below must not notice.
    election = _prepare(profile)
    start = profile.budget / len(profile.ballots)
    with patch.object(mes, "RESTRICT_BELOW", 1.01):  # regroup even when little drops out
        restricted = _restrict(election, start + low + above)
    run = _run(restricted, start + low)
    outcome = [*restricted.free, *(restricted.ids[p] for p in run.order)]
    assert outcome == plain_mes(profile, start + low)
    assert sum(restricted.group_sizes) == len(profile.ballots)


@settings(max_examples=80, deadline=None)
@given(st.one_of(profiles(), profiles(vote_type="cumulative")))
def test_add1_scans_looking_ahead_one_step_at_a_time_match_stepping(
    profile: ProjectProfile,
) -> None:
    # With the shortest look-ahead, and regrouping whenever anything drops out, the scans
    # leave projects out and bring them back at almost every step, including projects that
    # fit in the money an outcome leaves.
    with patch.object(mes, "LOOK_AHEAD", 1), patch.object(mes, "RESTRICT_BELOW", 1.01):
        add1 = equal_shares(profile, completion="add1").selected
        exhaustive = equal_shares(profile, completion="add1-exhaustive").selected
    assert list(add1) == plain_add1(profile, False)
    assert list(exhaustive) == plain_add1(profile, True)


def plain_greedy_fill(profile: ProjectProfile, chosen: list[str]) -> list[str]:
    """Add what still fits by total score, ties in the engine's order."""
    score = {
        p.id: sum((b.scores.get(p.id, 0) for b in profile.ballots), Fraction(0))
        for p in profile.projects
    }
    supporters = {
        p.id: sum(1 for b in profile.ballots if p.id in b.scores) for p in profile.projects
    }
    spent = sum(profile.project(pid).cost for pid in chosen)
    filled = list(chosen)
    for project in sorted(
        profile.projects,
        key=lambda p: (-score[p.id], tie_order_key(p.cost, supporters[p.id], p.id)),
    ):
        if project.id not in filled and spent + project.cost <= profile.budget:
            filled.append(project.id)
            spent += project.cost
    return filled


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_add1u_is_add1_then_the_greedy_fill(profile: ProjectProfile) -> None:
    expected = plain_greedy_fill(profile, plain_add1(profile, False))
    assert list(equal_shares(profile, completion="add1u").selected) == expected


@settings(max_examples=100, deadline=None)
@given(profiles(), st.randoms(use_true_random=False))
def test_outcome_ignores_voter_order_and_stays_within_budget(profile, random) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(profile.ballots)
    random.shuffle(shuffled)
    reordered = ProjectProfile(profile.budget, profile.projects, tuple(shuffled))
    for completion in ("none", "add1", "add1u"):
        result = equal_shares(profile, completion=completion)
        assert result.cost <= profile.budget
        assert result.cost == sum(profile.project(pid).cost for pid in result.selected)
        assert equal_shares(reordered, completion=completion).selected == result.selected


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_duplicating_every_ballot_changes_nothing(profile: ProjectProfile) -> None:
    doubled = ProjectProfile(profile.budget, profile.projects, profile.ballots * 2)
    # Twice the voters with half the money each: the same prices, the same purchases.
    assert equal_shares(doubled).selected == equal_shares(profile).selected


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_the_cheapest_project_everyone_approves_is_bought_first(profile: ProjectProfile) -> None:
    cheapest = min(profile.budget, Fraction(1, 2))
    everyone = ProjectProfile(
        profile.budget,
        (*profile.projects, Project("all", cheapest)),
        tuple(
            ProjectBallot({**b.scores, "all": Fraction(1)}, voter_id=b.voter_id)
            for b in profile.ballots
        ),
    )
    # Its price per unit of utility, 1 / voters, is the lowest any project can have, and
    # equal prices go to the cheaper project.
    assert equal_shares(everyone).selected[0] == "all"
