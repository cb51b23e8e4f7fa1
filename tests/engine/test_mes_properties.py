"""Properties of the Method of Equal Shares on small random profiles.

The reference is the rule written the plain way (``budgeting.engine.mes.reference``): one
exact budget per voter, every project re-priced every round, and ``add1`` stepping one unit
at a time through every amount. Equality with it proves the grouping of ballots, the lazy
queue and the skipping of stretches in the fast implementation; the reference itself is
checked on an election worked out by hand.
"""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction
from unittest.mock import patch

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from budgeting.engine.mes import completions as mes_completions
from budgeting.engine.mes import cut as mes_cut
from budgeting.engine.mes import election as mes_election
from budgeting.engine.mes import envelope as mes_envelope
from budgeting.engine.mes import equal_shares
from budgeting.engine.mes import float_run as mes_float_run
from budgeting.engine.mes import money as mes_money
from budgeting.engine.mes import run as mes_run
from budgeting.engine.mes import scan as mes_scan
from budgeting.engine.mes.election import _Election, _prepare, _restrict
from budgeting.engine.mes.envelope import _stretch_certified
from budgeting.engine.mes.explain import _Explained
from budgeting.engine.mes.reference import (
    reference_add1,
    reference_equal_shares,
    reference_greedy_fill,
    reference_run,
)
from budgeting.engine.mes.run import _run
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile
from tests.conftest import load_profile


def test_the_reference_on_an_election_worked_out_by_hand() -> None:
    # Budget 36, three voters with 12 each. v1 approves A and B, v2 A and C, v3 C; A costs
    # 15, B 3, C 14 and D 4 (nobody approves D).
    # Round 1: C and A both cost their supporters half their cost each (rho 1/2: C 7 each,
    # A 7.5 each), B costs v1 alone its whole cost (rho 1). The tie goes to the cheaper C
    # (by id A would come first). v2 and v3 are left with 5 each, v1 with 12.
    # Round 2: an equal split of A asks 7.5 of v2, who holds 5: v2 pays her 5 and v1 the
    # other 10, rho(A) = 10 / 15 = 2/3 < rho(B) = 1. A is bought; v1 keeps 2 (4.5 had v2
    # paid in full). Round 3: B costs 3 and its one supporter holds 2: nothing is bought.
    # "none" spends 29 of 36, though B would fit.
    # add1, one unit more each (13): C leaves v2 and v3 with 6; A takes v2's 6 and 9 from
    # v1, who keeps 4 and buys B: C, A, B spend 32, within 36. Every further step buys all
    # three with money to spare (at 14 and above v2 pays A in full), so add1 keeps C, A, B;
    # add1-exhaustive stops at the same step (B fitted in the 7 left by "none": that outcome
    # was not exhaustive). add1u then adds D, which fits in the 4 left.
    profile = ProjectProfile(
        budget=Fraction(36),
        projects=tuple(
            Project(pid, Fraction(cost)) for pid, cost in {"A": 15, "B": 3, "C": 14, "D": 4}.items()
        ),
        ballots=tuple(
            ProjectBallot(dict.fromkeys(approved, Fraction(1)), voter_id=voter)
            for voter, approved in {"v1": "AB", "v2": "AC", "v3": "C"}.items()
        ),
    )
    assert reference_run(profile, Fraction(12)) == ("C", "A")
    assert reference_run(profile, Fraction(13)) == ("C", "A", "B")
    assert reference_equal_shares(profile) == ("C", "A")
    assert reference_equal_shares(profile, "add1") == ("C", "A", "B")
    assert reference_equal_shares(profile, "add1-exhaustive") == ("C", "A", "B")
    assert reference_equal_shares(profile, "add1u") == ("C", "A", "B", "D")
    for completion in ("none", "add1", "add1-exhaustive", "add1u"):
        expected = reference_equal_shares(profile, completion)
        assert equal_shares(profile, completion=completion).selected == expected


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
    assert equal_shares(profile).selected == reference_run(profile, start)
    assert equal_shares(profile).selected == reference_equal_shares(profile)


@settings(max_examples=100, deadline=None)
@given(profiles(vote_type="cumulative"))
def test_matches_the_plain_rule_on_points(profile: ProjectProfile) -> None:
    start = profile.budget / len(profile.ballots)
    assert equal_shares(profile).selected == reference_run(profile, start)


def skipping_matches_stepping(profile: ProjectProfile) -> bool:
    """Whether both ``add1`` scans give the outcome of stepping through every amount."""
    return all(
        equal_shares(profile, completion=completion).selected
        == reference_add1(profile, exhaustive_stop=completion == "add1-exhaustive")
        for completion in ("add1", "add1-exhaustive")
    )


@settings(max_examples=80, deadline=None)
@given(profiles())
def test_add1_skipping_matches_stepping_through_every_amount(profile: ProjectProfile) -> None:
    assert skipping_matches_stepping(profile)


MUTANT_SEARCH = settings(
    max_examples=3000, phases=(Phase.generate,), derandomize=True, deadline=None, database=None
)
"""How the mutation tests look for an election that catches a wrong certificate."""


CUT = mes_cut._cut


def _cut_with_half_the_money(
    election: _Election, candidates: Collection[int], held: list[float], reaches: list[int]
) -> tuple[Fraction, float | None]:
    """Too optimistic: as if voters could spend only half of what they hold."""
    left_out, money = CUT(election, candidates, held, reaches)
    return left_out, None if money is None else money / 2


ROOM_OVER_CUT = mes_cut._room_over_cut


def _room_forgetting_the_exhaustive_stop(
    full: _Election,
    election: _Election,
    high: list[float],
    bought: Collection[int],
    candidates: Collection[int],
    exhaustive_stop: bool,
) -> float:
    """Unsound for the exhaustive stop: forgets to require room for a project never bought."""
    return ROOM_OVER_CUT(full, election, high, bought, candidates, exhaustive_stop=False)


SHARE = mes_envelope._share


def _share_rounded_down_at_low(holdings: mes_envelope._Holdings, *, above: bool) -> float | None:
    """Unsound: the share at ``low`` rounded down, so prices there are no longer bounds
    above, and neither is what the voters of ``low`` pay."""
    return SHARE(holdings, above=False)


@pytest.mark.parametrize(
    ("target", "wrong"),
    [
        (mes_cut, {"_cut": _cut_with_half_the_money}),
        (mes_envelope, {"_room_over_cut": _room_forgetting_the_exhaustive_stop}),
    ],
)
def test_an_unsound_certificate_fails_the_comparison_with_stepping(
    target: object, wrong: dict[str, object]
) -> None:
    # The property above must catch an unsound certificate: with one, some small election
    # skips a stretch that holds the step ending the scan.
    name, replacement = next(iter(wrong.items()))
    with patch.object(target, name, replacement):
        found = find(
            profiles(),
            lambda profile: not skipping_matches_stepping(profile),
            settings=MUTANT_SEARCH,
        )
        assert not skipping_matches_stepping(found)
    assert skipping_matches_stepping(found)


@settings(max_examples=60, deadline=None)
@given(profiles(vote_type="cumulative"))
def test_add1_skipping_matches_stepping_on_points(profile: ProjectProfile) -> None:
    add1 = equal_shares(profile, completion="add1").selected
    assert add1 == reference_add1(profile, exhaustive_stop=False)


@settings(max_examples=60, deadline=None)
@given(profiles(vote_type="cumulative"))
def test_add1_exhaustive_and_add1u_match_the_plain_rule_on_points(
    profile: ProjectProfile,
) -> None:
    exhaustive = equal_shares(profile, completion="add1-exhaustive").selected
    assert exhaustive == reference_add1(profile, exhaustive_stop=True)
    add1u = equal_shares(profile, completion="add1u").selected
    assert add1u == reference_equal_shares(profile, "add1u")


def reference_outcome_cost(
    profile: ProjectProfile, amount: Fraction
) -> tuple[tuple[str, ...], Fraction, bool]:
    """The plain rule's outcome at ``amount`` per voter, its cost and whether it is exhaustive."""
    chosen = reference_run(profile, amount)
    cost = sum((profile.project(pid).cost for pid in chosen), Fraction(0))
    left = profile.budget - cost
    supported = {pid for ballot in profile.ballots for pid in ballot.scores}
    exhaustive = all(
        p.cost > left for p in profile.projects if p.id in supported and p.id not in chosen
    )
    return chosen, cost, exhaustive


def certificate_holds(
    profile: ProjectProfile, low: int, width: int, parts: int, exhaustive_stop: bool
) -> bool:
    """When the envelope certifies the stretch of ``width`` steps from step ``low``, no
    amount in it (whole, or ``parts`` per step) is over the budget or, with the exhaustive
    stop, exhaustive."""
    election = _prepare(profile)
    start = profile.budget / len(profile.ballots)
    bottom, top = start + low, start + low + width
    if not _stretch_certified(election, election, bottom, top, exhaustive_stop):
        return True
    for step in range(width * parts + 1):
        _, cost, exhaustive = reference_outcome_cost(profile, bottom + Fraction(step, parts))
        if cost > profile.budget or (exhaustive_stop and exhaustive):
            return False
    return True


STRETCHES = st.tuples(
    st.one_of(profiles(), profiles(vote_type="cumulative")),
    st.integers(0, 8),
    st.integers(1, 8),
    st.integers(1, 4),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(STRETCHES)
def test_a_certified_stretch_holds_no_amount_that_ends_the_scan(
    stretch: tuple[ProjectProfile, int, int, int, bool],
) -> None:
    assert certificate_holds(*stretch)


def test_a_price_at_low_rounded_the_wrong_way_would_be_caught() -> None:
    # The certificate's prices at ``low`` must be bounds above; rounded down, some small
    # stretch is certified although an amount in it ends the scan.
    with patch.object(mes_envelope, "_share", _share_rounded_down_at_low):
        found = find(
            STRETCHES,
            lambda stretch: not certificate_holds(*stretch),
            settings=MUTANT_SEARCH,
        )
    assert certificate_holds(*found)


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
    with patch.object(mes_election, "RESTRICT_BELOW", 1.01):  # regroup when little drops out
        restricted = _restrict(election, start + low + above)
    run = _run(restricted, start + low)
    outcome = (*restricted.free, *(restricted.ids[p] for p in run.purchases.order))
    assert outcome == reference_run(profile, start + low)
    assert sum(restricted.group_sizes) == len(profile.ballots)
    groups = list(enumerate(restricted.group_projects))
    assert restricted.supporter_groups == [
        [group for group, projects in groups if pid in projects] for pid in restricted.ids
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(profiles(), profiles(vote_type="cumulative")),
    st.integers(0, 6),
    st.integers(0, 6),
    st.lists(st.integers(-1, 7), max_size=8),
)
def test_a_run_told_any_guesses_buys_as_a_run_told_none(
    profile: ProjectProfile, step: int, guessed_step: int, noise: list[int]
) -> None:
    # The scans tell a run the order a nearby step's run bought in; right, wrong, repeated
    # or unknown projects as guesses must all give the same purchases at the same prices.
    election = _prepare(profile)
    start = profile.budget / len(profile.ballots)
    plain = _run(election, start + step).purchases
    nearby = list(_run(election, start + guessed_step).purchases.order)
    for guesses in (list(plain.order), nearby, nearby[::-1], noise, nearby + noise):
        assert _run(election, start + step, guesses).purchases == plain


def test_a_run_told_the_right_order_bounds_fewer_candidates() -> None:
    # What the guesses are for: with each round's purchase priced first, the other
    # candidates are bounded once against its price, not chased one key after another.
    profile = load_profile("Poland_Warszawa_2023_Mokotow.pb")
    election = _prepare(profile)
    amount = profile.budget / len(profile.ballots) + 200
    plain = _run(election, amount).purchases
    bounds = {}
    for told in ((), plain.order):
        with patch.object(mes_run, "_lower_bound", wraps=mes_run._lower_bound) as bounded:
            assert _run(election, amount, told).purchases == plain
        bounds[len(told)] = bounded.call_count
    assert bounds[len(plain.order)] < 0.8 * bounds[0]


def test_a_scan_tells_a_run_the_latest_order_by_project_across_elections() -> None:
    # The latest run may have run on another election than the next one (the scan made a
    # new one for later steps, with other project numbers): the order is passed on by
    # project, leaving out any project the next election does not have.
    full = _prepare(load_profile("Poland_Warszawa_2026.pb"))
    reach = mes_scan._reach(full)
    restricted = reach.election
    assert len(restricted.ids) < len(full.ids)
    near = _run(restricted, reach.start + 2).purchases
    reach.latest_runs[2] = mes_scan._StepRun(restricted, near.order, near)
    assert mes_scan._likely_order(reach) == list(near.order)
    reach.election = full  # as ``_widen`` makes a new election for later steps
    told = mes_scan._likely_order(reach)
    assert [full.ids[project] for project in told] == [restricted.ids[p] for p in near.order]
    assert told != list(near.order)
    far = _run(full, reach.start + 3).purchases
    reach.latest_runs[3] = mes_scan._StepRun(full, far.order, None)
    reach.election = restricted
    kept = set(restricted.ids)
    far_ids = [full.ids[project] for project in far.order]
    told = mes_scan._likely_order(reach)
    assert [restricted.ids[project] for project in told] == [p for p in far_ids if p in kept]


def test_a_restricted_election_serves_every_step_until_a_project_it_leaves_out_is_affordable() -> (
    None
):
    # Each of 100 voters starts with 1. "near" (one supporter, cost 11) is affordable from
    # step 10; "far" (50 supporters, cost 5,050) from step 100. Looking 16 steps ahead
    # (the look-ahead set here) leaves "far" out, and that election serves every step up to
    # 99 without being made again; step 100 needs "far".
    voters = 100
    ballots = [{"near": Fraction(1)}] + [{"far": Fraction(1)}] * 50 + [{"cheap": Fraction(1)}] * 49
    profile = ProjectProfile(
        budget=Fraction(voters),
        projects=(
            Project("near", Fraction(11)),
            Project("far", Fraction(5_050)),
            Project("cheap", Fraction(1)),
        ),
        ballots=tuple(map(ProjectBallot, ballots)),
    )
    with patch.object(mes_scan, "LOOK_AHEAD", 16):
        reach = mes_scan._reach(_prepare(profile))
        assert sorted(reach.election.ids) == ["cheap", "near"]
        assert reach.steps == 99
        made = reach.election
        mes_scan._widen(reach, 99)
        assert reach.election is made
        mes_scan._widen(reach, 100)
    assert sorted(reach.election.ids) == ["cheap", "far", "near"]
    assert reach.steps == mes_scan._last_step(reach.full)


def _scan_without_its_run(
    full: _Election, exhaustive_stop: bool
) -> tuple[int, int, _Explained | None]:
    kept, runs, _ = mes_scan._scan(full, exhaustive_stop)
    return kept, runs, None


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(profiles(), profiles(vote_type="cumulative")),
    st.sampled_from(["add1", "add1-exhaustive"]),
)
def test_the_scans_last_run_of_the_kept_step_explains_the_outcome_as_a_new_run_would(
    profile: ProjectProfile, completion: str
) -> None:
    # The scan hands back its run of the step it keeps, made on an election restricted
    # further ahead; the outcome, its cost and every explanation step must be those of a
    # new run at that step.
    kept = equal_shares(profile, completion=completion)
    with patch.object(mes_completions, "_scan", _scan_without_its_run):
        new = equal_shares(profile, completion=completion)
    assert (kept.selected, kept.cost, kept.steps) == (new.selected, new.cost, new.steps)
    assert {**kept.details, "mes_runs": 0} == {**new.details, "mes_runs": 0}


def test_a_scan_keeps_the_projects_affordable_a_fixed_look_ahead_past_the_step_it_needs() -> None:
    # Project k, backed by one voter of 200, costs k more than that voter's equal share: it
    # becomes affordable at step k. A scan that needs step 40 leaves out every project
    # affordable only past step 40 + LOOK_AHEAD (a look that doubled each time kept more,
    # and its runs paid for them).
    voters = 200
    projects = tuple(Project(f"p{k:03d}", Fraction(1 + k)) for k in range(1, voters + 1))
    profile = ProjectProfile(
        budget=Fraction(voters),
        projects=projects,
        ballots=tuple(ProjectBallot({p.id: Fraction(1)}) for p in projects),
    )
    reach = mes_scan._reach(_prepare(profile))
    for step in (20, 40):
        mes_scan._widen(reach, step)
    assert reach.steps == 40 + mes_scan.LOOK_AHEAD
    assert len(reach.election.ids) == 40 + mes_scan.LOOK_AHEAD


@settings(max_examples=80, deadline=None)
@given(st.one_of(profiles(), profiles(vote_type="cumulative")))
def test_add1_scans_looking_ahead_one_step_at_a_time_match_stepping(
    profile: ProjectProfile,
) -> None:
    # With the shortest look-ahead, and regrouping whenever anything drops out, the scans
    # leave projects out and bring them back at almost every step, including projects that
    # fit in the money an outcome leaves.
    with (
        patch.object(mes_scan, "LOOK_AHEAD", 1),
        patch.object(mes_election, "RESTRICT_BELOW", 1.01),
    ):
        add1 = equal_shares(profile, completion="add1").selected
        exhaustive = equal_shares(profile, completion="add1-exhaustive").selected
    assert add1 == reference_add1(profile, exhaustive_stop=False)
    assert exhaustive == reference_add1(profile, exhaustive_stop=True)


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_add1u_is_add1_then_the_greedy_fill(profile: ProjectProfile) -> None:
    expected = reference_greedy_fill(profile, reference_add1(profile, exhaustive_stop=False))
    assert equal_shares(profile, completion="add1u").selected == expected


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


@settings(max_examples=300, deadline=None)
@given(
    st.floats(1, 1e6),
    st.floats(0, 1),
    st.integers(1, 10**6),
    st.sampled_from([Fraction(1, 3), Fraction(1000), Fraction(7, 10**6)]),
)
def test_payments_in_a_certificate_are_rounded_outward_whatever_the_scores(
    money: float, paid_share: float, score: int, scale: Fraction
) -> None:
    # ``low`` must stay at or below, and ``high`` at or above, what a voter holds after
    # paying ``share`` per unit of score, also when every score is large (issue found in
    # review: the allowance once shrank with the scores, and half the bounds crossed).
    top = Fraction(money) * scale
    held = float(top)
    share = held * paid_share / score
    election = _prepare(
        ProjectProfile(
            budget=Fraction(1),
            projects=(Project("p", Fraction(1)),),
            ballots=(ProjectBallot({"p": Fraction(score)}, voter_id="v"),),
            vote_type="cumulative",
        )
    )
    slack = mes_envelope._slack(top)
    exact = max(Fraction(held) - Fraction(share) * score, Fraction(0))
    low = mes_envelope._pay(election, [held], 0, share, slack, in_place=False)[0]
    high = mes_envelope._pay(election, [held], 0, share, -slack, in_place=False)[0]
    assert Fraction(low) <= exact <= Fraction(high)


def float_run_agrees(profile: ProjectProfile, step: int) -> bool:
    """Whether the float run at ``step`` buys what the exact run buys, or leaves it to it."""
    election = _prepare(profile)
    amount = profile.budget / len(profile.ballots) + step
    exact = _run(election, amount).purchases.order
    return mes_float_run._float_run(election, amount) in (None, exact)


@settings(max_examples=300, deadline=None)
@given(profiles(), st.integers(0, 8))
def test_a_float_run_buys_what_the_exact_run_buys_or_leaves_the_step_to_it(
    profile: ProjectProfile, step: int
) -> None:
    assert float_run_agrees(profile, step)


def float_money_within_its_error(profile: ProjectProfile, step: int) -> bool:
    """Whether, after every purchase of the float run, the total over all voters of how far
    each one's float money is from the exact run's money is within the run's error bound."""
    election = _prepare(profile)
    amount = profile.budget / len(profile.ballots) + step
    exact: list[list[Fraction]] = []
    floats: list[tuple[list[float], float]] = []
    pay, float_pay = mes_run._pay, mes_float_run._float_pay

    def paying(election: _Election, run: mes_money._Run, *args: object) -> object:
        paid = pay(election, run, *args)  # type: ignore[arg-type]
        exact.append(
            [
                mes_money._node_money(run, node) if alive else Fraction(0)
                for node, alive in zip(run.node, run.alive, strict=True)
            ]
        )
        return paid

    def float_paying(election: _Election, run: mes_float_run._FloatRun, *args: object) -> None:
        float_pay(election, run, *args)  # type: ignore[arg-type]
        floats.append((list(run.money), run.error))

    with (
        patch.object(mes_run, "_pay", paying),
        patch.object(mes_float_run, "_float_pay", float_paying),
    ):
        _run(election, amount)
        mes_float_run._float_run(election, amount)
    for exact_money, (float_money, error) in zip(exact, floats, strict=False):
        off = sum(
            size * abs(Fraction(held) - exactly)
            for size, held, exactly in zip(
                election.group_sizes, float_money, exact_money, strict=True
            )
        )
        if off > Fraction(error):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(profiles(), st.integers(0, 8))
def test_a_float_runs_money_stays_within_its_error_bound(
    profile: ProjectProfile, step: int
) -> None:
    assert float_money_within_its_error(profile, step)


def test_float_runs_decide_the_steps_of_real_scans() -> None:
    # The float run is the scans' fast path: on real elections it must decide steps, not
    # leave every one to the exact run (which would only make each step dearer).
    for name, step in (("Poland_Warszawa_2023_Mokotow.pb", 300), ("Poland_Warszawa_2026.pb", 150)):
        election = _prepare(load_profile(name))
        amount = election.budget / election.voters + step
        election = _restrict(election, amount)
        exact = _run(election, amount).purchases.order
        assert mes_float_run._float_run(election, amount, exact[::-1]) == exact


def test_a_float_run_leaves_money_exactly_at_a_cost_to_the_exact_run() -> None:
    # Ten voters with a tenth each support P, which costs 1: exactly affordable. In floats
    # the ten tenths add up to just under 1, so a float run that ignored its rounding would
    # buy nothing; the float run leaves the step to the exact run, which buys P.
    profile = ProjectProfile(
        budget=Fraction(1),
        projects=(Project("P", Fraction(1)), *(Project(f"Q{i}", Fraction(100)) for i in range(10))),
        ballots=tuple(
            ProjectBallot({"P": Fraction(1), f"Q{i}": Fraction(1)}, voter_id=f"v{i}")
            for i in range(10)
        ),
    )
    election = _prepare(profile)
    assert sum([0.1] * 10) < 1
    assert [election.ids[p] for p in _run(election, Fraction(1, 10)).purchases.order] == ["P"]
    assert mes_float_run._float_run(election, Fraction(1, 10)) is None
    with patch.object(mes_float_run, "_UNIT", 0.0):
        assert mes_float_run._float_run(election, Fraction(1, 10)) == ()


def _priced(rho: float, error: float, weight: int | None = None) -> mes_float_run._FloatPriced:
    return mes_float_run._FloatPriced(rho, error, rho, [], 1, 0.0, weight)


def test_float_prices_compare_only_when_their_errors_keep_them_apart() -> None:
    cheaper, dearer = _priced(0.25, 1e-9), _priced(0.5, 1e-9)
    assert cheaper.before(2, dearer, 1) and not dearer.before(1, cheaper, 2)
    with pytest.raises(mes_float_run._TooClose):
        _priced(0.25, 1e-9).before(1, _priced(0.25 + 1e-9, 1e-9), 2)
    # Nobody poor: the exact price is 1 / weight, so equal prices go by the tie order.
    assert _priced(0.25, 1e-9, 4).before(1, _priced(0.25, 1e-9, 4), 2)
    assert not _priced(0.25, 1e-9, 4).before(2, _priced(0.25, 1e-9, 4), 1)
    assert _priced(0.2, 1e-9, 5).before(2, _priced(0.25, 1e-9, 4), 1)
    # One price exact, the other not: their error intervals decide, or nothing does.
    assert _priced(0.2, 1e-9, 5).before(2, _priced(0.25, 1e-9), 1)
    with pytest.raises(mes_float_run._TooClose):
        _priced(0.25, 1e-9, 4).before(1, _priced(0.25, 1e-9), 2)


def _scan_counted(
    profile: ProjectProfile, float_runs: bool
) -> tuple[tuple[str, ...], int, int, int, int]:
    """An ``add1`` scan in one process with float runs, or with every float run leaving its
    step to the exact run: the winners, the runs it reports, the float runs, the exact runs
    and the certificates it made."""
    floats, exacts, certificates = [], [], []
    float_run, exact_run, certified = (
        mes_scan._float_run,
        mes_scan._run,
        mes_scan._stretch_certified,
    )

    def in_floats(*args: object) -> tuple[int, ...] | None:
        floats.append(args)
        return float_run(*args) if float_runs else None  # type: ignore[arg-type]

    def exactly(*args: object) -> object:
        exacts.append(args)
        return exact_run(*args)  # type: ignore[arg-type]

    def certifying(*args: object) -> bool:
        certificates.append(args)
        return certified(*args)  # type: ignore[arg-type]

    with (
        patch.object(mes_scan, "_float_run", in_floats),
        patch.object(mes_scan, "_run", exactly),
        patch.object(mes_scan, "_stretch_certified", certifying),
    ):
        result = equal_shares(profile, completion="add1", workers=1)
    runs = result.details["mes_runs"]
    assert isinstance(runs, int)
    return result.selected, runs, len(floats), len(exacts), len(certificates)


def test_a_step_whose_float_run_cannot_tell_is_run_exactly_and_counted_twice() -> None:
    profile = load_profile("Poland_Swiecie_2023.pb")
    selected, runs, floats, exacts, certificates = _scan_counted(profile, float_runs=True)
    assert floats and certificates
    # Float runs: one run per step and per certificate, and the kept step run again
    # exactly to be explained (it was one of the last runs, a float run).
    assert exacts == 1
    assert runs == floats + exacts + certificates
    fallen, runs, floats, exacts, certificates = _scan_counted(profile, float_runs=False)
    assert fallen == selected
    assert exacts == floats  # the kept step's exact run is kept: not run again
    assert runs == 2 * floats + certificates
    assert selected == equal_shares(profile, completion="add1", workers=1).selected


def test_an_election_with_points_is_never_run_in_floats_and_counts_one_run_a_step() -> None:
    profile = load_profile("Switzerland_Zurich_D10.pb")
    selected, runs, floats, exacts, certificates = _scan_counted(profile, float_runs=True)
    assert floats == 0 and exacts and certificates
    assert runs == exacts + certificates
    assert selected == reference_add1(profile, exhaustive_stop=False)
