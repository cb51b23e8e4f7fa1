"""A stored round decided by its own rules, and published.

The one path from the store to a decision, shared by the projector, the command line and
the exports: stored ballots become the engine's profiles (``project_profile``,
``allocation_profile``), the round's registered rules decide them (``decide``), and the
decision becomes plain JSON-ready data (``decision_data``) or an anonymised pabulib ``.pb``
file (``round_pb``) that anyone can run through ``python -m budgeting select`` to recompute
the winners.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from budgeting import store
from budgeting.engine.allocation import AllocationProfile, AllocationResult
from budgeting.engine.bulk import by_identity, collector_paused
from budgeting.engine.greedy import Tally, tally
from budgeting.engine.model import Project, ProjectBallot, ProjectProfile, SelectionResult
from budgeting.engine.pabulib import PBFile, write_pb
from budgeting.engine.registry import (
    SelectionRule,
    allocation_rule,
    pabulib_rule_name,
    selection_rule,
)
from budgeting.engine.ties import tie_order_key
from budgeting.results.publish import allocation_data, selection_payload


@dataclass(frozen=True)
class Decision:
    """A round decided over its current ballots: the service split and the funded projects,
    with the project vote the rule read (``profile``) and each project's support
    (``tallies``) to explain them."""

    voting_round: store.Round
    services: tuple[store.Service, ...]
    projects: tuple[store.Project, ...]
    profile: ProjectProfile
    allocation: AllocationResult
    selection: SelectionResult
    tallies: dict[str, Tally]
    ballots: int


def live_standings(
    projects: Sequence[store.Project], totals: Mapping[str, int]
) -> list[tuple[store.Project, int]]:
    """Projects with their total support, most first; ties in the engine's one tie order
    (lower cost, then more supporters, then project id)."""
    return sorted(
        ((project, totals.get(project.id, 0)) for project in projects),
        key=lambda pair: (-pair[1], tie_order_key(pair[0].cost, pair[1], pair[0].id)),
    )


def project_profile(
    voting_round: store.Round,
    projects: Sequence[store.Project],
    scores: Sequence[Mapping[str, int]],
) -> ProjectProfile:
    """The engine's view of the round's project vote, from each ballot's ``scores``.

    Approval and knapsack ballots are approval ballots (score 1 per chosen project); points
    ballots are cumulative. Ballots that chose no project express no project preference and
    are left out, so they do not dilute every voter's equal share under equal shares. Voters
    carry no id, so they are numbered 1, 2, ... in ballot order (``voter_ids``), never by a
    stored id, and an explanation that names voters (equal shares' ``ran_out_sample``) links
    to no receipt or code. Ballots that share one scores dict (``store.current_votes``: a
    city's million ballots hold a few hundred thousand distinct votes) share one
    ``ProjectBallot`` too, made once.
    """
    chosen = list(filter(None, scores))  # ballots that chose a project
    exact = cache(Fraction)  # ballots repeat a handful of scores: one Fraction for each
    with collector_paused():
        shared = {
            key: ProjectBallot(dict(zip(given, map(exact, given.values()), strict=True)))
            for key, given in by_identity(chosen).items()
        }
        ballots = tuple(map(shared.__getitem__, map(id, chosen)))
    return ProjectProfile(
        budget=voting_round.project_budget,
        projects=tuple(
            Project(id=p.id, cost=p.cost, name=p.name, category=p.category, area=p.area)
            for p in projects
        ),
        ballots=ballots,
        vote_type="cumulative" if voting_round.ballot_format == "points" else "approval",
    )


def allocation_profile(
    voting_round: store.Round,
    services: Sequence[store.Service],
    allocations: Sequence[Mapping[str, Fraction]],
) -> AllocationProfile:
    """The engine's view of the round's service split: every ballot's amounts, the budget,
    and each service's floor and ceiling."""
    return AllocationProfile(
        ballots=allocations,
        budget=voting_round.service_budget,
        services=[s.id for s in services],
        floors={s.id: s.floor for s in services},
        ceilings={s.id: s.ceiling for s in services},
    )


def selection_options(voting_round: store.Round, rule: SelectionRule) -> dict[str, Any]:
    """The round's settings that are options of its selection rule (the completion of
    equal shares); settings the rule has no use for are not passed."""
    settings = {"completion": voting_round.completion}
    taken = {option.name for option in rule.options}
    return {name: value for name, value in settings.items() if name in taken}


def decide(
    voting_round: store.Round,
    services: Sequence[store.Service],
    projects: Sequence[store.Project],
    votes: store.RoundVotes,
) -> Decision:
    """Run the round's allocation rule and selection rule over ``votes`` (both parts read)."""
    if votes.allocations is None or votes.scores is None:
        raise ValueError("deciding a round reads both its ballots' amounts and their scores")
    chosen = selection_rule(voting_round.selection_rule)
    profile = project_profile(voting_round, projects, votes.scores)
    return Decision(
        voting_round=voting_round,
        services=tuple(services),
        projects=tuple(projects),
        profile=profile,
        allocation=allocation_rule(voting_round.allocation_rule).run(
            allocation_profile(voting_round, services, votes.allocations)
        ),
        selection=chosen.run(profile, **selection_options(voting_round, chosen)),
        tallies=tally(profile),
        ballots=votes.ballots,
    )


def decide_round(conn: store.Connection, round_id: str, language: str | None = None) -> Decision:
    """The stored round ``round_id`` decided over its current ballots (``StoreError`` when
    there is no such round); ``language``: the one its service and project names are in
    (default: the round's default texts, as every export writes them)."""
    voting_round = _stored_round(conn, round_id)
    return decide(
        voting_round,
        store.list_services(conn, round_id, language),
        store.list_projects(conn, round_id, language),
        store.current_votes(conn, round_id),
    )


def _stored_round(conn: store.Connection, round_id: str) -> store.Round:
    voting_round = store.get_round(conn, round_id)
    if voting_round is None:
        raise store.StoreError(f"there is no round '{round_id}'")
    return voting_round


def decision_data(decision: Decision) -> dict[str, Any]:
    """The decided round as JSON-ready data: what a council publishes. The selection has
    the keys ``select --json`` prints for a ``.pb`` file (``publish.selection_payload``),
    with ``meta_rule`` the name the round's ``.pb`` export writes; the round, its ballot
    count and the service split are added."""
    voting_round = decision.voting_round
    chosen = selection_rule(voting_round.selection_rule)
    options = selection_options(voting_round, chosen)
    return {
        **selection_payload(
            decision.selection,
            options,
            decision.profile,
            meta_rule=pabulib_rule_name(chosen.id, options),
            recorded=None,
        ),
        "round": voting_round.id,
        "name": voting_round.name,
        "status": voting_round.status,
        "currency": voting_round.currency_symbol,
        "ballots": decision.ballots,
        "allocation": allocation_data(decision.allocation),
    }


def round_pb(conn: store.Connection, round_id: str) -> str:
    """The round's project vote and winners as an anonymised pabulib ``.pb`` file.

    The format is pabulib's (META, PROJECTS, VOTES; pabulib.org). Voters carry the numbers
    ``project_profile`` gives them (no code, receipt or time is written); ballots that chose
    no project are left out, as the rules leave them out. PROJECTS has the round's winners
    in ``selected`` and META names the round's rule (``registry.pabulib_rule_name``), so
    ``python -m budgeting select FILE --rule recorded`` recomputes the winners and says
    whether they match.
    """
    decision = decide_round(conn, round_id)
    voting_round, profile = decision.voting_round, decision.profile
    points = profile.vote_type == "cumulative"
    votes = [
        {
            "voter_id": voter_id,
            "vote": ",".join(ballot.scores),
            **({"points": ",".join(str(s) for s in ballot.scores.values())} if points else {}),
        }
        for voter_id, ballot in zip(profile.voter_ids(), profile.ballots, strict=True)
    ]
    chosen = selection_rule(voting_round.selection_rule)
    meta = {
        "description": voting_round.name,
        "instance": voting_round.id,
        "num_projects": str(len(decision.projects)),
        "num_votes": str(len(votes)),
        "budget": _decimal(voting_round.project_budget),
        "vote_type": profile.vote_type,
        "rule": pabulib_rule_name(chosen.id, selection_options(voting_round, chosen)),
        "currency": voting_round.currency_symbol,
    }
    if voting_round.ballot_format == "approval" and voting_round.max_approvals:
        meta["max_length"] = str(voting_round.max_approvals)
    if points and voting_round.max_points:
        meta["max_sum_points"] = str(voting_round.max_points)
    selected = set(decision.selection.selected)
    return write_pb(
        PBFile(
            meta=meta,
            projects=[
                {
                    "project_id": p.id,
                    "cost": _decimal(p.cost),
                    "votes": str(decision.tallies[p.id].supporters),
                    "name": p.name,
                    "category": p.category,
                    "area": p.area,
                    "selected": "1" if p.id in selected else "0",
                }
                for p in decision.projects
            ],
            votes=votes,
            project_columns=["project_id", "cost", "votes", "name", "category", "area", "selected"],
            vote_columns=["voter_id", "vote", *(["points"] if points else [])],
        )
    )


def _decimal(amount: Fraction) -> str:
    """An amount in minor units' precision as pabulib writes it (``1200.5``, ``300000``)."""
    whole, pence = divmod(round(amount * 100), 100)
    return str(whole) if pence == 0 else f"{whole}.{pence:02d}".rstrip("0")
