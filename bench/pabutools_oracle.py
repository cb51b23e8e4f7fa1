"""pabutools 1.2.3 as an outside oracle for bench/engine.py (GPL; never imported by the product).

Runs in bench/.oracle-venv only:

    bench/.oracle-venv/bin/python bench/pabutools_oracle.py FILE.pb REFERENCE_KEY

and prints one JSON line: seconds of the rule call, peak memory (MB), selected project ids.
REFERENCE_KEY is a rule key of tests/data/pabulib/reference_results.json (``_meta.rules``
gives the exact pabutools call for each). Ties are broken (except in the maximum welfare
solver, which takes no tie-breaking rule) in the engine's order (lower
cost, more supporters, project id) rather than pabutools' default (project id).
Cumulative and ordinal files are scored as the engine scores them: points, or k - r + 1
at rank r, with satisfaction score × cost.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter

from pabutools.election import (
    AdditiveSatisfaction,
    Cardinality_Sat,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    parse_pabulib,
)
from pabutools.election.profile import AbstractApprovalProfile
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)
from pabutools.tiebreaking import TieBreakingRule


class PointsCostSat(AdditiveSatisfaction):
    """Satisfaction score × cost (points, or positional points on ordinal ballots)."""

    def __init__(self, instance, profile, ballot):
        super().__init__(
            instance,
            profile,
            ballot,
            lambda inst, prof, bal, proj, pre: bal.get(proj, 0) * proj.cost,
        )


def scored(instance, profile):
    """Ordinal ballots as positional points k - r + 1 (k: META max_length or longest)."""
    if profile.__class__.__name__ != "OrdinalProfile":
        return profile
    longest = max(len(ballot) for ballot in profile)
    k = int(instance.meta.get("max_length") or longest)
    ballots = [
        CumulativeBallot({project: k - rank for rank, project in enumerate(ballot)})
        for ballot in profile
    ]
    return CumulativeProfile(ballots, instance=instance)


def main(path: str, key: str) -> None:
    instance, profile = parse_pabulib(path)
    profile = scored(instance, profile)
    approval = isinstance(profile, AbstractApprovalProfile)
    supporters = Counter(project for ballot in profile for project in ballot)
    ties = TieBreakingRule(lambda inst, prof, p: (p.cost, -supporters[p], p.name))
    cost_sat = Cost_Sat if approval else PointsCostSat
    voters = profile.num_ballots()
    mes = {"sat_class": cost_sat, "tie_breaking": ties}
    calls = {
        "greedy_cost": lambda: greedy_utilitarian_welfare(
            instance, profile, sat_class=cost_sat, tie_breaking=ties
        ),
        "greedy_card": lambda: greedy_utilitarian_welfare(
            instance, profile, sat_class=Cardinality_Sat, tie_breaking=ties
        ),
        "seq_phragmen": lambda: sequential_phragmen(instance, profile, tie_breaking=ties),
        "max_welfare_cost": lambda: max_additive_utilitarian_welfare(
            instance, profile, sat_class=cost_sat
        ),
        "mes_cost": lambda: method_of_equal_shares(instance, profile, **mes),
        "mes_cost_add1": lambda: method_of_equal_shares(
            instance, profile, voter_budget_increment=1, **mes
        ),
        "mes_cost_add1_noexhstop": lambda: exhaustion_by_budget_increase(
            instance,
            profile,
            method_of_equal_shares,
            mes,
            budget_step=voters,
            exhaustive_stop=False,
        ),
        "mes_cost_add1u": lambda: completion_by_rule_combination(
            instance,
            profile,
            [exhaustion_by_budget_increase, greedy_utilitarian_welfare],
            [
                {
                    "rule": method_of_equal_shares,
                    "rule_params": mes,
                    "budget_step": voters,
                    "exhaustive_stop": False,
                },
                {"sat_class": cost_sat, "tie_breaking": ties},
            ],
        ),
    }
    calls["greedy_score"] = calls["greedy_cost"]
    started = time.perf_counter()
    outcome = calls[key]()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "selected": [project.name for project in outcome],
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
