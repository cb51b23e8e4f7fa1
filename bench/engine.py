"""Benchmark: the engine's selection rules against pabutools on the largest pabulib files.

Run from the repository root (never part of the test suite):

    .venv/bin/python bench/engine.py                 # ours, and pabutools where it is quick
    .venv/bin/python bench/engine.py --no-oracle     # ours only
    .venv/bin/python bench/engine.py --files Poland_Warszawa_2026.pb --rules mes-add1

pabutools (GPL) is an outside oracle only: it lives in its own virtual environment, never in
the product's. Create it once with

    python3 -m venv bench/.oracle-venv
    bench/.oracle-venv/bin/pip install -r bench/requirements-oracle.txt

Every measurement runs in a fresh process, one rule at a time, so the peak memory reported
(the process's maximum resident set size, parsing included) belongs to that rule alone.
Seconds are the rule call only (parsing is reported separately as "parse"). pabutools runs
only where ``tests/data/pabulib/reference_results.json`` records that it took at most
``--oracle-limit`` seconds on this machine; elsewhere the recorded time is shown, marked
"(ref)", and the ratio uses it. The two cores of this machine are shared, so times vary by
about ±30 %.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pabulib"
ORACLE_PYTHON = ROOT / "bench" / ".oracle-venv" / "bin" / "python"
ORACLE_SCRIPT = ROOT / "bench" / "pabutools_oracle.py"

FILES = (
    "Poland_Warszawa_2026.pb",
    "Poland_Warszawa_2023_Mokotow.pb",
    "Poland_Lodz_2022.pb",
    "Poland_Krakow_2024.pb",
    "Poland_Wroclaw_2015_150_-_500.pb",
)


@dataclass(frozen=True)
class BenchRule:
    """A rule as benchmarked: our registry id and options, and the reference key."""

    label: str
    rule_id: str
    options: dict[str, Any]
    reference_key: str
    approval_only: bool = False


RULES = (
    BenchRule("greedy", "greedy", {}, "greedy_cost"),
    BenchRule("greedy-cost", "greedy-cost", {}, "greedy_card"),
    BenchRule("phragmen", "phragmen", {}, "seq_phragmen", approval_only=True),
    BenchRule("max-welfare", "max-welfare", {}, "max_welfare_cost"),
    BenchRule("mes", "mes", {"completion": "none"}, "mes_cost"),
    BenchRule("mes-add1", "mes", {"completion": "add1"}, "mes_cost_add1_noexhstop"),
    BenchRule("mes-add1-exhaustive", "mes", {"completion": "add1-exhaustive"}, "mes_cost_add1"),
    BenchRule("mes-add1u", "mes", {"completion": "add1u"}, "mes_cost_add1u"),
)
SCORED_REFERENCE = {"greedy_cost": "greedy_score"}  # points / positional scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES))
    parser.add_argument("--rules", nargs="*", default=[rule.label for rule in RULES])
    parser.add_argument("--no-oracle", action="store_true", help="do not run pabutools")
    parser.add_argument("--oracle-limit", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "RULE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    reference = json.loads((DATA / "reference_results.json").read_text(encoding="utf-8"))
    oracle = not args.no_oracle and ORACLE_PYTHON.exists()
    if not args.no_oracle and not oracle:
        print(f"pabutools not installed in {ORACLE_PYTHON.parent.parent}: reference times only\n")
    header = (
        f"{'file':<34} {'rule':<20} {'ours s':>8} {'ours MB':>8} {'parse s':>8} "
        f"{'pabutools s':>14} {'pabu MB':>8} {'ratio':>8}  same winners"
    )
    print(header)
    print("-" * len(header))
    for name in args.files:
        vote_type = reference.get(name, {}).get("meta", {}).get("vote_type", "approval")
        for bench_rule in (rule for rule in RULES if rule.label in args.rules):
            if bench_rule.approval_only and vote_type not in ("approval", "choose-1"):
                continue
            row = _row(name, bench_rule, vote_type, reference, oracle, args.oracle_limit)
            print(row, flush=True)


def _row(
    name: str,
    bench_rule: BenchRule,
    vote_type: str,
    reference: dict[str, Any],
    oracle: bool,
    limit: float,
) -> str:
    ours = _subprocess([sys.executable, str(Path(__file__)), "--measure", name, bench_rule.label])
    key = bench_rule.reference_key
    if vote_type not in ("approval", "choose-1"):
        key = SCORED_REFERENCE.get(key, key)
    recorded = reference.get(name, {}).get("rules", {}).get(key)
    theirs: dict[str, Any] | None = None
    marker = ""
    if recorded and oracle and recorded["seconds"] <= limit:
        theirs = _subprocess([str(ORACLE_PYTHON), str(ORACLE_SCRIPT), str(DATA / name), key])
    elif recorded:
        theirs = {"seconds": recorded["seconds"], "peak_mb": recorded.get("max_rss_mb")}
        theirs["selected"] = recorded["selected"]
        marker = " (ref)"
    if theirs is None:
        pabutools, pabu_mb, ratio, same = "not run", "", "", ""
    else:
        pabutools = f"{theirs['seconds']:.2f}{marker}"
        pabu_mb = f"{theirs['peak_mb']:.0f}" if theirs.get("peak_mb") else ""
        ratio = f"{theirs['seconds'] / max(ours['seconds'], 1e-6):.0f}x"
        same = "yes" if set(theirs["selected"]) == set(ours["selected"]) else "NO"
    return (
        f"{name[:34]:<34} {bench_rule.label:<20} {ours['seconds']:>8.3f} "
        f"{ours['peak_mb']:>8.0f} {ours['parse_seconds']:>8.2f} {pabutools:>14} {pabu_mb:>8} "
        f"{ratio:>8}  {same}"
    )


def _subprocess(command: list[str]) -> dict[str, Any]:
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def measure(name: str, label: str) -> dict[str, Any]:
    """Parse ``name`` and run one rule in this process; seconds, peak memory, winners."""
    sys.path.insert(0, str(ROOT))
    from budgeting.engine.pabulib import read_pb
    from budgeting.engine.registry import selection_rule

    bench_rule = next(entry for entry in RULES if entry.label == label)
    started = time.perf_counter()
    profile = read_pb(DATA / name).to_profile()
    parsed = time.perf_counter()
    result = selection_rule(bench_rule.rule_id).run(profile, **bench_rule.options)
    finished = time.perf_counter()
    return {
        "seconds": finished - parsed,
        "parse_seconds": parsed - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "selected": list(result.selected),
    }


if __name__ == "__main__":
    main()
