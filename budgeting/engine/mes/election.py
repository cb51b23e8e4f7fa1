"""An election prepared for the Method of Equal Shares: grouped ballots, projects by index.

Voters with identical ballots are one weighted group (they start with equal money and
always pay alike, so a group never splits); approval ballots are grouped by their sorted
project ids, without exact numbers. Projects MES can buy (a positive cost and a supporter)
are indexed once per call, with their tie rank (``budgeting.engine.ties``) and their first
price when nobody is poor; projects that cost nothing and have a supporter are set apart
(they are funded first).

The ``add1`` scans leave out the projects nobody can afford up to the amount they look
ahead to (their supporters hold less than the cost before paying for anything) and merge
the ballots that then agree (``_restrict``): on elections with many local projects most of
them drop out of the early runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import chain, compress, count
from operator import attrgetter, mul
from typing import TypeVar

from budgeting.engine.bulk import by_identity
from budgeting.engine.model import ProjectProfile
from budgeting.engine.ties import tie_order_key

Score = int | Fraction
Key = TypeVar("Key", bound=Hashable)


RESTRICT_BELOW = 0.8
"""``_restrict`` leaves projects out only when the rest carry less than this share of the
(supporting group, project) pairs: otherwise regrouping costs more than it saves."""


@dataclass
class _Election:
    """A profile prepared for MES: grouped ballots and candidate projects by index."""

    budget: Fraction
    voters: int
    ids: list[str]
    costs: list[Fraction]
    tie_rank: list[int]
    group_sizes: list[int]
    group_projects: list[tuple[str, ...]]
    """Each group's projects (ids, as on its ballots)."""
    group_scores: list[tuple[Score, ...]] | None
    """Each group's scores for those projects; ``None`` when every score is 1."""
    ballot_group: list[int]
    """Each ballot's group, in ballot order."""
    voter_ids: list[str]
    supporter_groups: list[list[int]]
    supporter_scores: list[list[Score]]
    supporter_weights: list[list[Score]]
    """Per project and supporting group: voters times score."""
    unit_scores: bool
    supporters: list[int]
    """Per project: its number of supporters (voters)."""
    first_rho: list[Fraction]
    """Per project: one over its supporters' total score (its first-round price when nobody
    is poor; one over its number of supporters with scores 1)."""
    free: list[str]
    key_scale: float
    """One over the smallest score: money per unit of score is at most this times the money."""

    @cached_property
    def group_masks(self) -> list[int]:
        """Each group's projects as bits (``1 << project``)."""
        masks = [0] * len(self.group_sizes)
        for project, groups in enumerate(self.supporter_groups):
            bit = 1 << project
            for group in groups:
                masks[group] |= bit
        return masks


def _score(score: Fraction) -> Score:
    """Whole scores as ``int`` (fast to hash and multiply), others as exact fractions."""
    return score.numerator if score.denominator == 1 else score


def _first_appearances(keys: list[Key]) -> tuple[list[Key], list[int]]:
    """The distinct keys in order of first appearance, and each key's number among them."""
    first_ballot: dict[Key, int] = {}
    firsts = list(map(first_ballot.setdefault, keys, count()))
    number = dict(zip(first_ballot.values(), count(), strict=False))
    return list(first_ballot), list(map(number.__getitem__, firsts))


def _ballots_by_content(
    scores_of: list[dict[str, Fraction]],
    distinct: dict[int, dict[str, Fraction]],
    key: Callable[[dict[str, Fraction]], tuple[Key, ...]],
) -> tuple[list[tuple[Key, ...]], list[int]]:
    """The distinct ``key`` of the ballots' scores in order of first appearance, and each
    ballot's number among them; ``key`` is computed once per distinct scores object
    (``distinct``: ``bulk.by_identity`` of ``scores_of``)."""
    distinct_keys, object_key = _first_appearances(list(map(key, distinct.values())))
    key_of = dict(zip(distinct, object_key, strict=True))
    return distinct_keys, list(map(key_of.__getitem__, map(id, scores_of)))


def _project_set(scores: dict[str, Fraction]) -> tuple[str, ...]:
    return tuple(sorted(scores))


def _scored_items(scores: dict[str, Fraction]) -> tuple[tuple[str, Score], ...]:
    return tuple(sorted(zip(scores, map(_score, scores.values()), strict=True)))


def _group_ballots(
    profile: ProjectProfile,
) -> tuple[list[tuple[str, ...]], list[tuple[Score, ...]] | None, list[int]]:
    """Identical ballots as groups: each group's projects and scores, and each ballot's group.

    Groups are numbered in order of first appearance. Each distinct scores object is keyed
    once (``bulk.by_identity``: a stored round's million ballots share a few hundred
    thousand dicts), then keys are grouped by content. When every score is 1 (approval-type
    ballots) ballots are keyed by their sorted project ids alone, so grouping hashes and
    compares no exact numbers, and the scores are ``None``. Other ballots are keyed by their
    sorted (project, score) pairs, whole scores as ``int`` (fast to hash); scores of 0 are
    dropped once per group.
    """
    scores_of = list(map(attrgetter("scores"), profile.ballots))
    distinct = by_identity(scores_of)
    values = list(chain.from_iterable(map(dict.values, distinct.values())))
    unit = all(value == 1 for value in dict(zip(map(id, values), values, strict=True)).values())
    if unit:
        project_sets, ballot_group = _ballots_by_content(scores_of, distinct, _project_set)
        return project_sets, None, ballot_group
    distinct_keys, ballot_group = _ballots_by_content(scores_of, distinct, _scored_items)
    projects_of: list[tuple[str, ...]] = []
    scores_out: list[tuple[Score, ...]] = []
    for items in distinct_keys:
        scored = [(pid, value) for pid, value in items if value > 0]
        projects_of.append(tuple(pid for pid, _ in scored))
        scores_out.append(tuple(value for _, value in scored))
    return projects_of, scores_out, ballot_group


def _prepare(profile: ProjectProfile) -> _Election:
    """Group identical ballots and index the projects MES can buy (once per call)."""
    group_projects, group_scores, ballot_group = _group_ballots(profile)
    voters_in = Counter(ballot_group)
    group_sizes = list(map(voters_in.__getitem__, range(len(group_projects))))
    groups_of: dict[str, list[int]] = {}
    for index, projects in enumerate(group_projects):
        for pid in projects:
            groups_of.setdefault(pid, []).append(index)
    counts = {pid: sum(map(group_sizes.__getitem__, groups)) for pid, groups in groups_of.items()}
    candidates = [p for p in profile.projects if p.cost > 0 and p.id in groups_of]
    by_tie = sorted(candidates, key=lambda p: tie_order_key(p.cost, counts[p.id], p.id))
    rank = {p.id: position for position, p in enumerate(by_tie)}
    supporter_groups = [groups_of[p.id] for p in candidates]
    sizes_of: list[list[Score]] = [
        list(map(group_sizes.__getitem__, groups)) for groups in supporter_groups
    ]
    if group_scores is None:
        supporter_scores: list[list[Score]] = [[1] * len(groups) for groups in supporter_groups]
        supporter_weights: list[list[Score]] = list(sizes_of)
        smallest_score: Score = 1
    else:
        score_of: dict[str, list[Score]] = {}
        for projects, scores in zip(group_projects, group_scores or (), strict=True):
            for pid, score in zip(projects, scores, strict=True):
                score_of.setdefault(pid, []).append(score)
        supporter_scores = [score_of[p.id] for p in candidates]
        supporter_weights = [
            list(map(mul, sizes, scores))
            for sizes, scores in zip(sizes_of, supporter_scores, strict=True)
        ]
        smallest_score = min((min(scores) for scores in supporter_scores), default=1)
    return _Election(
        budget=profile.budget,
        voters=len(profile.ballots),
        ids=[p.id for p in candidates],
        costs=[p.cost for p in candidates],
        tie_rank=[rank[p.id] for p in candidates],
        group_sizes=group_sizes,
        group_projects=group_projects,
        group_scores=group_scores,
        ballot_group=ballot_group,
        voter_ids=profile.voter_ids(),
        supporter_groups=supporter_groups,
        supporter_scores=supporter_scores,
        supporter_weights=supporter_weights,
        unit_scores=group_scores is None,
        supporters=[counts[p.id] for p in candidates],
        first_rho=[1 / Fraction(sum(weights)) for weights in supporter_weights],
        free=[p.id for p in profile.projects if p.cost == 0 and p.id in groups_of],
        key_scale=float(1 / Fraction(smallest_score)),
    )


def _affordable_at_start(election: _Election, per_voter: Fraction) -> list[int]:
    """The projects whose supporters hold their cost when each holds ``per_voter``.

    Money only shrinks during a run, so these are the only projects a run starting from
    ``per_voter`` (or less) can ever buy.
    """
    return [
        p
        for p, (supporters, cost) in enumerate(
            zip(election.supporters, election.costs, strict=True)
        )
        if supporters * per_voter >= cost
    ]


def _first_affordable_left_out(full: _Election, election: _Election) -> Fraction | None:
    """The smallest amount per voter at which a project of ``full`` that ``election`` leaves
    out becomes affordable at the start of a run (its ``n`` supporters hold its cost at
    ``cost / n`` each, as ``_affordable_at_start`` counts); ``None`` when none is left out.
    Below it, ``election`` is what ``_restrict`` makes at every amount it was made for or
    above."""
    kept = set(election.ids)
    return min(
        (
            cost / supporters
            for pid, cost, supporters in zip(full.ids, full.costs, full.supporters, strict=True)
            if pid not in kept
        ),
        default=None,
    )


def _restrict(election: _Election, per_voter: Fraction) -> _Election:
    """The election without the projects nobody can afford up to ``per_voter`` each.

    A project whose ``n`` supporters hold ``n * per_voter`` below its cost at the start of a
    run is never bought in it (money only shrinks) and changes nobody's payments, so it can
    be left out of every run up to that amount; ballots that then agree are merged into one
    group (they hold and pay alike). On elections with many local projects this makes runs
    several times faster. Groups keep their order of first appearance.
    """
    kept = _affordable_at_start(election, per_voter)
    kept_work = sum(len(election.supporter_groups[p]) for p in kept)
    if kept_work >= RESTRICT_BELOW * sum(map(len, election.supporter_groups)):
        return election
    position = {election.ids[p]: index for index, p in enumerate(kept)}
    keeps = position.__contains__
    group_scores: list[tuple[Score, ...]] | None
    if election.group_scores is None:
        # Groups that support the same kept projects have the same kept bits: grouped as
        # whole numbers, and each new group's projects read from its first old group.
        kept_bits = sum(1 << p for p in kept)
        merged_bits, old_to_new = _first_appearances(
            list(map(kept_bits.__and__, election.group_masks))
        )
        first_old = dict(zip(reversed(old_to_new), reversed(range(len(old_to_new))), strict=True))
        group_projects = [
            tuple(filter(keeps, election.group_projects[first_old[new]]))
            for new in range(len(merged_bits))
        ]
        group_scores = None
    else:
        projects_of = [tuple(filter(keeps, projects)) for projects in election.group_projects]
        scored: list[tuple[tuple[str, ...], tuple[Score, ...]]] = [
            (projects, tuple(compress(scores, map(keeps, every))))
            for projects, scores, every in zip(
                projects_of, election.group_scores, election.group_projects, strict=True
            )
        ]
        merged, old_to_new = _first_appearances(scored)
        group_projects = [projects for projects, _ in merged]
        group_scores = [scores for _, scores in merged]
    sizes = [0] * len(group_projects)
    for group, size in zip(old_to_new, election.group_sizes, strict=True):
        sizes[group] += size
    supporter_groups: list[list[int]] = [[] for _ in kept]
    supporter_scores: list[list[Score]] = [[] for _ in kept]
    scores_of = group_scores or [(1,) * len(projects) for projects in group_projects]
    for group, (projects, scores) in enumerate(zip(group_projects, scores_of, strict=True)):
        for pid, score in zip(projects, scores, strict=True):
            supporter_groups[position[pid]].append(group)
            supporter_scores[position[pid]].append(score)
    return _Election(
        budget=election.budget,
        voters=election.voters,
        ids=[election.ids[p] for p in kept],
        costs=[election.costs[p] for p in kept],
        tie_rank=[election.tie_rank[p] for p in kept],
        group_sizes=sizes,
        group_projects=group_projects,
        group_scores=group_scores,
        ballot_group=list(map(old_to_new.__getitem__, election.ballot_group)),
        voter_ids=election.voter_ids,
        supporter_groups=supporter_groups,
        supporter_scores=supporter_scores,
        supporter_weights=[
            list(map(mul, map(sizes.__getitem__, groups), scores))
            for groups, scores in zip(supporter_groups, supporter_scores, strict=True)
        ],
        unit_scores=election.unit_scores,
        supporters=[election.supporters[p] for p in kept],
        first_rho=[election.first_rho[p] for p in kept],
        free=election.free,
        key_scale=election.key_scale,
    )


def _spent(election: _Election, bought: Iterable[int]) -> Fraction:
    """What the projects ``bought`` (indices into ``election``) cost."""
    return sum(map(election.costs.__getitem__, bought), Fraction(0))
