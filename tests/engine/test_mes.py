"""Method of Equal Shares on small profiles worked out by hand with exact fractions."""

from __future__ import annotations

import dataclasses
import gc
import random
from collections.abc import Iterable, Mapping
from fractions import Fraction

import pytest

from budgeting.engine.mes import COMPLETIONS, equal_shares
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile


def approval_profile(
    budget: int,
    costs: dict[str, int],
    ballots: Mapping[str, Iterable[str]],
    vote_type: str = "approval",
) -> ProjectProfile:
    """``ballots`` maps a voter id to the project ids it approves (one letter each, or a list)."""
    return ProjectProfile(
        budget=Fraction(budget),
        projects=tuple(Project(pid, Fraction(cost)) for pid, cost in costs.items()),
        ballots=tuple(
            ProjectBallot({pid: Fraction(1) for pid in chosen}, voter_id=voter)
            for voter, chosen in ballots.items()
        ),
        vote_type=vote_type,  # type: ignore[arg-type]
    )


def test_a_supporter_who_already_paid_runs_out_and_pays_what_she_has() -> None:
    # 4 voters x 10. C (21, v2 v3 v4): 7 each, rho 1/3. A (12, v1 v2): 6 each, rho 1/2.
    # After C, v2 holds 3 < 6: she pays her 3 and v1 pays 9, so rho(A) = 9/12 = 3/4.
    profile = approval_profile(
        40, {"A": 12, "C": 21}, {"v1": "A", "v2": "AC", "v3": "C", "v4": "C"}
    )
    result = equal_shares(profile)
    assert result.selected == ("C", "A")
    assert result.cost == 33
    first, second = result.steps
    assert first.kind == second.kind == "mes_round"
    assert first.price_per_unit_utility == Fraction(1, 3)
    assert first.paid_in_full == 3
    assert first.ran_out == 0
    assert second.price_per_unit_utility == Fraction(3, 4)
    assert second.share_per_point == 9
    assert second.paid_in_full == 1
    assert second.ran_out == 1
    assert second.ran_out_paid == 3
    assert second.ran_out_sample == ("v2",)
    assert second.budget_left == 7
    assert second.voter_money_left == 7
    assert result.details["per_voter_budget"] == 10


def test_voters_sharing_one_ballot_are_named_by_their_place_in_ballot_order() -> None:
    # The same vote as above, with v3 and v4's identical ballot one shared object and no
    # voter ids (as a stored round's profile is built): the one who ran out is voter 2.
    both_c = ProjectBallot({"C": Fraction(1)})
    profile = ProjectProfile(
        budget=Fraction(40),
        projects=(Project("A", Fraction(12)), Project("C", Fraction(21))),
        ballots=(
            ProjectBallot({"A": Fraction(1)}),
            ProjectBallot({"A": Fraction(1), "C": Fraction(1)}),
            both_c,
            both_c,
        ),
    )
    assert profile.voter_ids() == ["1", "2", "3", "4"]
    result = equal_shares(profile)
    assert result.selected == ("C", "A")
    assert result.steps[1].ran_out_sample == ("2",)
    # Where some voters have ids (a pabulib file may leave one out), ids are kept as given:
    # a number could name another voter.
    labelled = dataclasses.replace(
        profile,
        ballots=(
            ProjectBallot({"A": Fraction(1)}, voter_id="2"),
            *profile.ballots[1:],
        ),
    )
    assert labelled.voter_ids() == ["2", "", "", ""]


def test_unaffordable_projects_are_not_bought_even_when_money_is_left() -> None:
    # 3 voters x 4. A (9, everyone) rho 1/3; B (3, v2 v3) rho 1/2. After A each holds 1,
    # so B's supporters hold 2 < 3: MES stops at A although B would fit the budget.
    profile = approval_profile(12, {"A": 9, "B": 3}, {"v1": "A", "v2": "AB", "v3": "AB"})
    assert equal_shares(profile).selected == ("A",)


def test_add1_raises_every_voters_money_until_the_next_outcome_would_overspend() -> None:
    # At 5 per voter: A leaves 2 each, B costs v2 and v3 1.5 each: {A, B} = 12, exhaustive.
    profile = approval_profile(12, {"A": 9, "B": 3}, {"v1": "A", "v2": "AB", "v3": "AB"})
    exhaustive = equal_shares(profile, completion="add1-exhaustive")
    assert exhaustive.selected == ("A", "B")
    assert exhaustive.details["per_voter_budget"] == 5
    assert exhaustive.details["add1_steps"] == 1
    # Without the exhaustive stop the outcome never overspends, so raising goes on to the
    # bound pabutools uses (the budget grows at most to (voters + 1) x budget).
    last = equal_shares(profile, completion="add1")
    assert last.selected == ("A", "B")
    assert last.details["per_voter_budget"] == 4 + 12


def test_add1_skips_steps_whose_outcome_spends_the_whole_budget() -> None:
    # Everyone approves A, which costs the whole budget: every step buys A and leaves
    # nothing, so nothing is left to buy after it and the cut bound is exact (costs only):
    # the 100,000 steps up to pabutools' limit are skipped in stretches, not run one by one.
    profile = approval_profile(100_000, {"A": 100_000}, {"v1": "A", "v2": "A"})
    result = equal_shares(profile, completion="add1")
    assert result.selected == ("A",)
    assert result.details["add1_steps"] == 100_000
    assert result.details["mes_runs"] < 100


def test_add1_keeps_the_last_outcome_within_the_budget() -> None:
    # 3 voters x 4: A (9, all) then B (4, v2 v3) needs 2 each but they hold 1: [A], 9.
    # At 5 each B is bought (2 each) and the total 13 overspends: add1 keeps [A].
    profile = approval_profile(12, {"A": 9, "B": 4}, {"v1": "A", "v2": "AB", "v3": "AB"})
    for completion in ("add1", "add1-exhaustive"):
        result = equal_shares(profile, completion=completion)
        assert result.selected == ("A",)
        assert result.details["per_voter_budget"] == 4


def test_add1u_fills_what_is_left_by_votes_skipping_what_does_not_fit() -> None:
    profile = approval_profile(
        12,
        {"A": 9, "B": 4, "C": 2, "D": 1},
        {"v1": "AD", "v2": "ABC", "v3": "AB"},
    )
    result = equal_shares(profile, completion="add1u")
    # add1u starts from add1 (the last outcome within the budget), not add1-exhaustive.
    mes_part = equal_shares(profile, completion="add1").selected
    assert result.selected[: len(mes_part)] == mes_part
    completion_steps = [step for step in result.steps if step.kind == "completion"]
    assert [step.project_id for step in completion_steps] == list(result.selected[len(mes_part) :])
    assert result.cost <= profile.budget
    assert sum(profile.project(pid).cost for pid in result.selected) == result.cost


def test_equal_prices_go_to_the_cheaper_project_then_the_more_supported() -> None:
    # b (10) and a (20), both approved by both voters: rho = 1/2 for each. The tie order
    # prefers the cheaper "b"; pabutools' default (id as string) would take "a".
    profile = approval_profile(20, {"a": 20, "b": 10}, {"v1": "ab", "v2": "ab"})
    assert equal_shares(profile).selected == ("b",)


def test_equal_prices_and_costs_go_to_the_smaller_id() -> None:
    profile = approval_profile(10, {"y": 10, "x": 10}, {"v1": "xy", "v2": "xy"})
    assert equal_shares(profile).selected == ("x",)


def test_free_projects_with_support_are_funded_first() -> None:
    profile = approval_profile(10, {"A": 10, "F": 0, "G": 0}, {"v1": "AF", "v2": "A"})
    assert equal_shares(profile).selected == ("F", "A")


def test_cumulative_points_weight_cost_utilities() -> None:
    # 2 voters x 5. u = points x cost. A (6): v1 3 points, v2 1: t = 6 / 4 per point, so v1
    # pays 4.5 and v2 1.5; rho = t / cost = 1/4. B (3, v2 only, 1 point): rho = 1.
    profile = ProjectProfile(
        budget=Fraction(10),
        projects=(Project("A", Fraction(6)), Project("B", Fraction(3))),
        ballots=(
            ProjectBallot({"A": Fraction(3)}, voter_id="v1"),
            ProjectBallot({"A": Fraction(1), "B": Fraction(1)}, voter_id="v2"),
        ),
        vote_type="cumulative",
    )
    result = equal_shares(profile)
    assert result.selected == ("A", "B")
    assert result.steps[0].price_per_unit_utility == Fraction(1, 4)
    # v2 holds 3.5 after A, and B costs 3: she pays it alone at rho = 1.
    assert result.steps[1].price_per_unit_utility == 1
    assert result.cost == 9


def test_money_with_decimals_is_exact() -> None:
    profile = ProjectProfile(
        budget=Fraction("100.01"),
        projects=(Project("A", Fraction("66.67")), Project("B", Fraction("33.34"))),
        ballots=tuple(ProjectBallot({"A": Fraction(1), "B": Fraction(1)}) for _ in range(3)),
    )
    result = equal_shares(profile)
    assert result.selected == ("B", "A")
    assert result.cost == Fraction("100.01")


def test_no_ballots_buys_nothing_but_the_greedy_fill_still_funds_what_fits() -> None:
    profile = approval_profile(10, {"A": 5}, {})
    for completion in COMPLETIONS:
        expected = ("A",) if completion == "add1u" else ()
        assert equal_shares(profile, completion=completion).selected == expected


def test_unknown_completion_is_refused_with_the_known_ones_listed() -> None:
    profile = approval_profile(10, {"A": 5}, {"v1": "A"})
    with pytest.raises(ValueError, match="add1-exhaustive") as error:
        equal_shares(profile, completion="add2")
    assert "'add2'" in str(error.value)


def test_add1u_builds_on_add1_not_on_the_exhaustive_stop() -> None:
    # 4 voters x 2 (v3, v4 approve nothing). A (8: v1 v2), B (1: v1).
    # At 2 each: B (v1 pays 1); A's supporters hold 1 + 2 < 8. {B} leaves 7 < 8: exhaustive,
    # so add1-exhaustive stops there. At 4 each A is cheaper per unit of utility (rho 1/2
    # against 1): v1 and v2 pay 4 each and B is unaffordable: {A} = 8. At 5 each both are
    # bought (9 > 8), so add1 keeps {A}; add1u fills from {A} and nothing else fits.
    profile = approval_profile(8, {"A": 8, "B": 1}, {"v1": "AB", "v2": "A", "v3": "", "v4": ""})
    exhaustive = equal_shares(profile, completion="add1-exhaustive")
    assert exhaustive.selected == ("B",)
    assert exhaustive.details["per_voter_budget"] == 2
    last = equal_shares(profile, completion="add1")
    assert last.selected == ("A",)
    assert last.details["per_voter_budget"] == 4
    filled = equal_shares(profile, completion="add1u")
    assert filled.selected == ("A",)
    assert filled.details["per_voter_budget"] == 4


@pytest.mark.parametrize("collecting", [True, False])
def test_the_garbage_collector_is_left_as_it_was(collecting: bool) -> None:
    # The rule pauses Python's cyclic collector while it computes, and must hand it back.
    profile = approval_profile(40, {"A": 12, "C": 21}, {"v1": "A", "v2": "AC", "v3": "C"})
    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        equal_shares(profile, completion="add1")
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_add1_on_a_few_hundred_voters_with_a_city_sized_budget_skips_its_many_steps() -> None:
    # 300 voters share 10,000,000: every step adds 300 to a budget that projects of
    # 100,000 to 3,000,000 use, so the outcome changes rarely over about 50,000 steps.
    # The cut bound skips them in stretches; without it the scan ran each step, for minutes.
    rng = random.Random(11)
    costs = {f"P{n:02d}": rng.randint(20, 600) * 5_000 for n in range(80)}
    ballots = {f"v{n}": rng.sample(sorted(costs), rng.randint(1, 5)) for n in range(300)}
    profile = approval_profile(10_000_000, costs, ballots)
    result = equal_shares(profile, completion="add1")
    assert result.details["add1_steps"] > 40_000
    assert result.details["mes_runs"] < 1_000
    assert result.cost <= 10_000_000
