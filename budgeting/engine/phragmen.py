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

from collections import Counter
from fractions import Fraction

from budgeting.engine.bulk import collector_paused
from budgeting.engine.model import ProjectProfile, SelectionResult
from budgeting.engine.steps import PhragmenStep
from budgeting.engine.ties import tie_order_key

APPROVAL_KINDS = ("approval", "choose-1")


def phragmen(profile: ProjectProfile) -> SelectionResult:
    """Sequential Phragmén with exact loads; voters with identical ballots move together."""
    if profile.vote_type not in APPROVAL_KINDS:
        raise ValueError(f"phragmen needs approval ballots, not {profile.vote_type}")
    loads = _Loads(profile)
    candidates = [
        number for number, project in enumerate(profile.projects) if project.cost <= profile.budget
    ]
    spent = Fraction(0)
    selected: list[str] = []
    steps: list[PhragmenStep] = []
    while candidates:
        tied, load = loads.lowest_new_load(candidates)
        blocking = [
            number for number in tied if spent + profile.projects[number].cost > profile.budget
        ]
        if blocking:
            for number in blocking:
                project = profile.projects[number]
                steps.append(
                    PhragmenStep(
                        kind="stopped_does_not_fit",
                        project_id=project.id,
                        cost=project.cost,
                        load=load,
                        supporters=loads.supporters[number],
                        budget_left=profile.budget - spent,
                        shortfall=spent + project.cost - profile.budget,
                    )
                )
            break
        chosen = min(tied, key=loads.tie_key)
        project = profile.projects[chosen]
        candidates.remove(chosen)
        spent += project.cost
        selected.append(project.id)
        steps.append(
            PhragmenStep(
                kind="selected",
                project_id=project.id,
                cost=project.cost,
                load=load,
                supporters=loads.supporters[chosen],
                budget_left=profile.budget - spent,
            )
        )
        if load is not None:
            loads.raise_loads(chosen, load)
    return SelectionResult(
        rule="phragmen",
        selected=tuple(selected),
        cost=spent,
        budget=profile.budget,
        steps=tuple(steps),
    )


class _Loads:
    """Voters with identical ballots as weighted groups, projects by their number in the
    profile, and the loads: every group's load is the load set by the last funded project
    it approves, so it is kept as an index into ``levels``, and each project keeps the sum
    of its supporters' loads (``load_sum``) up to date. Lists indexed by number, not dicts
    keyed by id: raising the loads of a million voters' groups is the rule's inner loop."""

    def __init__(self, profile: ProjectProfile) -> None:
        self.ids = [project.id for project in profile.projects]
        self.costs = [project.cost for project in profile.projects]
        number_of = {project_id: number for number, project_id in enumerate(self.ids)}
        known = number_of.__contains__  # votes for projects not in the profile are ignored
        weight_of: Counter[tuple[int, ...]] = Counter()
        self.groups_of: list[list[int]] = [[] for _ in self.ids]
        with collector_paused():
            # identical ballots counted at C speed, then each distinct one as project numbers
            for ballot, times in Counter(map(frozenset, profile.ballot_scores())).items():
                weight_of[tuple(sorted(map(number_of.__getitem__, filter(known, ballot))))] += times
            self.members = list(weight_of)
            for group, members in enumerate(self.members):
                for number in members:
                    self.groups_of[number].append(group)
        self.weights = list(weight_of.values())
        self.supporters = [sum(map(self.weights.__getitem__, of)) for of in self.groups_of]
        self.levels = [Fraction(0)]
        self.level_of = [0] * len(self.members)
        self.load_sum = [Fraction(0)] * len(self.ids)

    def tie_key(self, number: int) -> tuple[Fraction, int, str]:
        """The engine's tie order (``budgeting.engine.ties``) for project ``number``."""
        return tie_order_key(self.costs[number], self.supporters[number], self.ids[number])

    def lowest_new_load(self, candidates: list[int]) -> tuple[list[int], Fraction | None]:
        """The candidates with the lowest new load and that load (``None``: nobody
        approves)."""
        best: Fraction | None = None
        tied: list[int] = []
        for number in candidates:
            count = self.supporters[number]
            if count == 0:
                if best is None:
                    tied.append(number)
                continue
            load = (self.load_sum[number] + self.costs[number]) / count
            if best is None or load < best:
                best, tied = load, [number]
            elif load == best:
                tied.append(number)
        return tied, best

    def raise_loads(self, funded: int, load: Fraction) -> None:
        """Set the load of every supporter of project ``funded`` to ``load``."""
        self.levels.append(load)
        level = len(self.levels) - 1
        moved: dict[int, list[int]] = {}  # old level -> supporters per project moved from it
        level_of, weights, members = self.level_of, self.weights, self.members
        for group in self.groups_of[funded]:
            counts = moved.get(level_of[group])
            if counts is None:
                counts = moved[level_of[group]] = [0] * len(self.ids)
            weight = weights[group]
            for number in members[group]:
                counts[number] += weight
            level_of[group] = level
        for old_level, counts in moved.items():
            rise = load - self.levels[old_level]
            for number, count in enumerate(counts):
                if count:
                    self.load_sum[number] += count * rise
