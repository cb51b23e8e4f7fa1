"""Sequential Phragmén for participatory budgeting (approval ballots).

Source: L. Phragmén (1894), as adapted to participatory budgeting by Los, Christoff and
Grossi, "Proportional Budget Allocations: Towards a Systematization" (IJCAI 2022), and
implemented by pabutools ("sequential_phragmen", pabutools.readthedocs.io, Rules).

Voters earn virtual money continuously at the same rate. A project is bought as soon as its
supporters together have earned its cost; their balances then drop to zero. Equivalently,
each round picks the project whose purchase gives its supporters the lowest new load
(``(their current loads + cost) / supporters``), and every supporter's load becomes that
value. As in pabutools, the rule stops at the first project that would be bought but does
not fit in the budget (it never skips), and projects nobody approves come last, all with an
infinite load: they are funded only while every one of them still fits.

Ties: projects reaching the same load in the same round are broken by the engine's tie
order (``budgeting.engine.ties``: lower cost, more supporters, project id); if any of them
does not fit, the rule stops.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction

from budgeting.engine.model import Project, ProjectProfile, SelectionResult
from budgeting.engine.steps import PhragmenStep
from budgeting.engine.ties import tie_order_key

APPROVAL_KINDS = ("approval", "choose-1")


def phragmen(profile: ProjectProfile) -> SelectionResult:
    """Sequential Phragmén with exact loads; voters with identical ballots move together."""
    if profile.vote_type not in APPROVAL_KINDS:
        raise ValueError(f"phragmen needs approval ballots, not {profile.vote_type}")
    ballot_counts = Counter(frozenset(ballot.scores) for ballot in profile.ballots)
    members = list(ballot_counts)
    weights = [ballot_counts[group] for group in members]
    groups_of: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(members):
        for project_id in group:
            groups_of[project_id].append(index)
    supporters = {
        project.id: sum(weights[index] for index in groups_of[project.id])
        for project in profile.projects
    }
    # Every group's load is the load set by the last funded project it approves, so it is
    # stored as an index into ``levels`` and each project keeps the sum of its supporters'
    # loads up to date.
    levels = [Fraction(0)]
    level_of = [0] * len(members)
    load_sum = {project.id: Fraction(0) for project in profile.projects}

    candidates = [project for project in profile.projects if project.cost <= profile.budget]
    spent = Fraction(0)
    selected: list[str] = []
    steps: list[PhragmenStep] = []
    while candidates:
        tied, load = _lowest_new_load(candidates, supporters, load_sum)
        blocking = [project for project in tied if spent + project.cost > profile.budget]
        if blocking:
            for project in blocking:
                steps.append(
                    PhragmenStep(
                        kind="stopped_does_not_fit",
                        project_id=project.id,
                        cost=project.cost,
                        load=load,
                        supporters=supporters[project.id],
                        budget_left=profile.budget - spent,
                        shortfall=spent + project.cost - profile.budget,
                    )
                )
            break
        chosen = min(tied, key=lambda p: tie_order_key(p.cost, supporters[p.id], p.id))
        candidates.remove(chosen)
        spent += chosen.cost
        selected.append(chosen.id)
        steps.append(
            PhragmenStep(
                kind="selected",
                project_id=chosen.id,
                cost=chosen.cost,
                load=load,
                supporters=supporters[chosen.id],
                budget_left=profile.budget - spent,
            )
        )
        if load is not None:
            levels.append(load)
            _raise_loads(
                chosen.id, len(levels) - 1, levels, level_of, members, weights, groups_of, load_sum
            )
    return SelectionResult(
        rule="phragmen",
        selected=tuple(selected),
        cost=spent,
        budget=profile.budget,
        steps=tuple(steps),
    )


def _lowest_new_load(
    candidates: list[Project], supporters: dict[str, int], load_sum: dict[str, Fraction]
) -> tuple[list[Project], Fraction | None]:
    """The candidates with the lowest new load and that load (``None``: nobody approves)."""
    best: Fraction | None = None
    tied: list[Project] = []
    for project in candidates:
        count = supporters[project.id]
        if count == 0:
            if best is None:
                tied.append(project)
            continue
        load = (load_sum[project.id] + project.cost) / count
        if best is None or load < best:
            best, tied = load, [project]
        elif load == best:
            tied.append(project)
    return tied, best


def _raise_loads(
    funded: str,
    level: int,
    levels: list[Fraction],
    level_of: list[int],
    members: list[frozenset[str]],
    weights: list[int],
    groups_of: dict[str, list[int]],
    load_sum: dict[str, Fraction],
) -> None:
    """Set the load of every supporter of ``funded`` to ``levels[level]``."""
    moved: dict[int, Counter[str]] = defaultdict(Counter)
    for index in groups_of[funded]:
        counter = moved[level_of[index]]
        weight = weights[index]
        for project_id in members[index]:
            counter[project_id] += weight
        level_of[index] = level
    for old_level, counter in moved.items():
        rise = levels[level] - levels[old_level]
        for project_id, count in counter.items():
            load_sum[project_id] += count * rise
