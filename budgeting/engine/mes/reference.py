"""The Method of Equal Shares written the plain way: the rule the fast one is checked against.

The same rule, completions and tie order as ``budgeting.engine.mes`` (Peters & Skowron,
"Proportionality and the limits of welfarism", EC 2020; Peters, Pierczyński & Skowron,
"Proportional participatory budgeting with additive utilities", NeurIPS 2021; the rule and
its completions as explained on equalshares.net), with nothing grouped, cached or bounded:
every voter holds an exact budget of their own, every project is priced afresh every round,
and the ``add1`` completions run every amount one unit apart, as pabutools'
``exhaustion_by_budget_increase`` does. Slow (a handful of voters and projects is what it is
for) and short enough to check by hand; the property tests
(``tests/engine/test_mes_properties.py``) compare ``equal_shares`` with it.
"""

from __future__ import annotations

from fractions import Fraction

from budgeting.engine.mes.completions import COMPLETIONS
from budgeting.engine.model import Project, ProjectProfile
from budgeting.engine.ties import tie_order_key


def reference_equal_shares(profile: ProjectProfile, completion: str = "none") -> tuple[str, ...]:
    """The projects the Method of Equal Shares selects with ``completion``, in order.

    ``none``: one run with the equal share ``budget / voters`` (``reference_run``).
    ``add1`` and ``add1-exhaustive``: ``reference_add1`` without and with the exhaustive
    stop. ``add1u``: ``add1``, then ``reference_greedy_fill``. Free projects with a supporter
    come first, then purchases in order, then what the greedy fill adds.
    """
    if completion not in COMPLETIONS:
        raise ValueError(f"Unknown completion {completion!r}.")
    if not profile.ballots:
        outcome = reference_run(profile, Fraction(0))
    elif completion == "none":
        outcome = reference_run(profile, profile.budget / len(profile.ballots))
    else:
        outcome = reference_add1(profile, exhaustive_stop=completion == "add1-exhaustive")
    if completion == "add1u":
        return reference_greedy_fill(profile, outcome)
    return outcome


def reference_run(profile: ProjectProfile, per_voter: Fraction) -> tuple[str, ...]:
    """One MES run in which every voter starts with ``per_voter``.

    A voter's utility for a project is ``score * cost``. Each round prices every project
    that still can be bought: the smallest ``rho`` with ``sum(min(money, rho * utility))``
    over its supporters equal to its cost, found by trying each set of the poorest
    supporters (by money per unit of utility) as the ones who pay all they have. The
    project with the smallest ``rho`` is bought (ties: ``budgeting.engine.ties``), each
    supporter paying ``min(money, rho * utility)``; the run stops when no project's
    supporters hold its cost. Projects that cost nothing and have a supporter come first.
    """
    money = [per_voter] * len(profile.ballots)
    supporters = {
        p.id: sum(1 for b in profile.ballots if p.id in b.scores) for p in profile.projects
    }
    chosen = [p.id for p in profile.projects if p.cost == 0 and supporters[p.id]]
    left = [p for p in profile.projects if p.cost > 0 and supporters[p.id]]
    while True:
        offers: list[tuple[Fraction, tuple[Fraction, int, str], Project]] = []
        for project in left:
            voters = [i for i, b in enumerate(profile.ballots) if project.id in b.scores]
            held = [money[i] for i in voters]
            if sum(held) < project.cost:
                continue
            utility = [profile.ballots[i].scores[project.id] * project.cost for i in voters]
            rho = _rho(project.cost, held, utility)
            offers.append(
                (rho, tie_order_key(project.cost, supporters[project.id], project.id), project)
            )
        if not offers:
            return tuple(chosen)
        rho, _, best = min(offers, key=lambda offer: offer[:2])
        for i, ballot in enumerate(profile.ballots):
            if best.id in ballot.scores:
                money[i] -= min(money[i], rho * ballot.scores[best.id] * best.cost)
        chosen.append(best.id)
        left.remove(best)


def _rho(cost: Fraction, held: list[Fraction], utility: list[Fraction]) -> Fraction:
    """The smallest ``rho`` with ``sum(min(held, rho * utility)) == cost``.

    The supporters hold at least ``cost``. Take the poorest ``cut`` supporters (by money
    per unit of utility) as the ones who pay all they have and share the rest in proportion
    to utility; the first ``cut`` at which nobody else is asked for more than they hold is
    the answer (with one supporter left to share, it always is).
    """
    order = sorted(range(len(held)), key=lambda i: held[i] / utility[i])
    for cut in range(len(order) - 1):
        poor, rich = order[:cut], order[cut:]
        rho = (cost - sum(held[i] for i in poor)) / sum(utility[i] for i in rich)
        if all(rho * utility[i] <= held[i] for i in rich):
            return rho
    richest = order[-1]
    return (cost - sum(held[i] for i in order[:-1])) / utility[richest]


def reference_add1(profile: ProjectProfile, *, exhaustive_stop: bool) -> tuple[str, ...]:
    """Raise every voter's money one unit at a time; the outcome pabutools would keep.

    ``exhaustion_by_budget_increase(..., budget_step=<voters>)``: runs at the total budget
    ``budget + step * voters`` for ``step = 0, 1, ...`` while that stays within pabutools'
    bound ``(voters + 1) * budget`` (so up to ``step = floor(budget)``); the first run that
    costs more than the real budget ends the scan with the run before it. With
    ``exhaustive_stop`` the first run after which no project with a supporter fits in the
    money left ends it too (pabutools ``voter_budget_increment=1``); otherwise the last run
    within the budget is kept.
    """
    cost = {p.id: p.cost for p in profile.projects}
    available = [
        p for p in profile.projects if p.cost > 0 and any(p.id in b.scores for b in profile.ballots)
    ]
    start = profile.budget / len(profile.ballots)
    outcome: tuple[str, ...] = ()
    step = 0
    while step <= profile.budget:
        following = reference_run(profile, start + step)
        spent = sum(cost[pid] for pid in following)
        if spent > profile.budget:
            return outcome
        if exhaustive_stop and all(
            p.id in following or spent + p.cost > profile.budget for p in available
        ):
            return following
        outcome, step = following, step + 1
    return outcome


def reference_greedy_fill(profile: ProjectProfile, chosen: tuple[str, ...]) -> tuple[str, ...]:
    """``chosen``, then every project that still fits, by total score (votes on approval).

    Projects go highest total score first, ties in the ``budgeting.engine.ties`` order;
    each is added when it fits in what is left and skipped otherwise (the greedy
    utilitarian rule of pabutools, from the outcome so far).
    """
    score = {
        p.id: sum((b.scores.get(p.id, Fraction(0)) for b in profile.ballots), Fraction(0))
        for p in profile.projects
    }
    supporters = {
        p.id: sum(1 for b in profile.ballots if p.id in b.scores) for p in profile.projects
    }
    spent = sum((profile.project(pid).cost for pid in chosen), Fraction(0))
    filled = list(chosen)
    for project in sorted(
        profile.projects,
        key=lambda p: (-score[p.id], tie_order_key(p.cost, supporters[p.id], p.id)),
    ):
        if project.id not in filled and spent + project.cost <= profile.budget:
            filled.append(project.id)
            spent += project.cost
    return tuple(filled)
