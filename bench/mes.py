"""Benchmark: the Method of Equal Shares and its add1 completions on the largest files.

Run from the repository root (never part of the test suite):

    .venv/bin/python bench/mes.py
    .venv/bin/python bench/mes.py --files Poland_Wieliczka_2023_Green_Budget.pb --timeout 120

Every measurement runs in a fresh process, so the peak memory (maximum resident set size,
parsing included) belongs to that one computation; seconds are the rule call only. Each
file and completion is measured with 1 worker and with 2 (``--workers``: the processes the
add1 scans may use), side by side, with the speed-up of 2 over 1; "MB" is the parent's peak
plus, with workers, each worker's peak (an upper bound: pages shared since the fork count
once per process). The
reference columns are the times recorded on this machine class in
``tests/data/pabulib/reference_results.json`` (pabutools 1.2.3) and
``add1_scan_equalshares_js.json`` (the equalshares.net JavaScript tool's whole add1 scan,
which yields both ``add1`` and ``add1-exhaustive``); they are not rerun here. "same" compares
our winners with the recorded ones. The two cores are shared, so times vary by about ±30 %.
Points and ordinal files are compared on their approvals, as pabutools' cost satisfaction
counts them; ``--as-cast`` runs them on their points (ordinal: Kraków's 3/2/1), as
``python -m budgeting select`` does, with no reference to compare.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pabulib"

FILES = (
    "Poland_Warszawa_2026.pb",
    "Poland_Warszawa_2023_Mokotow.pb",
    "Poland_Lodz_2022.pb",
    "Poland_Krakow_2024.pb",
    "Poland_Wroclaw_2015_150_-_500.pb",
    "Netherlands_Amsterdam_252.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
)
COMPLETIONS = ("none", "add1", "add1-exhaustive")
PABUTOOLS_KEYS = {
    "none": "mes_cost",
    "add1": "mes_cost_add1_noexhstop",
    "add1-exhaustive": "mes_cost_add1",
}
JS_SCAN_KEYS = {"add1": "last_feasible", "add1-exhaustive": "first_exhaustive"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", default=list(FILES))
    parser.add_argument("--completions", nargs="*", default=list(COMPLETIONS))
    parser.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS")
    parser.add_argument(
        "--workers", nargs=2, type=int, default=[1, 2], metavar=("N", "M"), help="the two columns"
    )
    parser.add_argument(
        "--as-cast", action="store_true", help="points and ordinal files on their points"
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("FILE", "COMPLETION", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        name, completion, workers = args.measure
        print(json.dumps(measure(name, completion, int(workers), as_cast=args.as_cast)))
        return
    reference = json.loads((DATA / "reference_results.json").read_text(encoding="utf-8"))
    js_scan = json.loads((DATA / "add1_scan_equalshares_js.json").read_text(encoding="utf-8"))
    one, two = args.workers
    header = (
        f"{'file':<36} {'completion':<16} {f'{one}w s':>8} {f'{two}w s':>8} {'speedup':>8} "
        f"{'MB':>6} {'runs':>5} {'pabutools s':>12} {'ratio':>7} {'same':>5} "
        f"{'JS scan s':>10} {f'{one}w ratio':>9} {f'{two}w ratio':>9} {'same':>5}"
    )
    print(
        "Reference seconds: recorded on this machine class (not rerun); "
        f"ratios: reference time over ours (pabutools: over {two} workers)."
    )
    print(header)
    print("-" * len(header))
    for name in args.files:
        for completion in args.completions:
            print(_row(name, completion, reference, js_scan, args), flush=True)


def _measured(name: str, completion: str, workers: int, args: argparse.Namespace) -> Any:
    """One measurement in a fresh process, or ``None`` when it ran out of time."""
    command = [sys.executable, str(Path(__file__)), "--measure", name, completion, str(workers)]
    if args.as_cast:
        command.append("--as-cast")
    try:
        completed = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        return None
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def _row(
    name: str,
    completion: str,
    reference: dict[str, Any],
    js_scan: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    one, two = (_measured(name, completion, n, args) for n in args.workers)
    if one is None or two is None:
        return f"{name[:36]:<36} {completion:<16} {'>' + str(int(args.timeout)):>8}"
    if set(one["selected"]) != set(two["selected"]):
        raise SystemExit(f"{name} {completion}: the winners differ between worker counts")
    winners = set(two["selected"])
    if two["as_cast"]:  # the references count approvals only
        reference, js_scan = {}, {}
    recorded = reference.get(name, {}).get("rules", {}).get(PABUTOOLS_KEYS[completion])
    pabutools = _compare(two["seconds"], winners, recorded, "seconds", "selected")
    scan = js_scan.get(name)
    js = ("", "", "")
    js_two = ""
    if scan and completion in JS_SCAN_KEYS:
        outcome = scan[JS_SCAN_KEYS[completion]] or scan["last_feasible"]
        timed = {"s": scan["node_seconds"], **outcome}
        js = _compare(one["seconds"], winners, timed, "s", "w")
        js_two = _compare(two["seconds"], winners, timed, "s", "w")[1]
    speedup = one["seconds"] / max(two["seconds"], 1e-6)
    return (
        f"{name[:36]:<36} {completion:<16} {one['seconds']:>8.3f} {two['seconds']:>8.3f} "
        f"{speedup:>7.2f}x {max(one['peak_mb'], two['peak_mb']):>6.0f} {one['runs']:>5} "
        f"{pabutools[0]:>12} {pabutools[1]:>7} {pabutools[2]:>5} "
        f"{js[0]:>10} {js[1]:>9} {js_two:>9} {js[2]:>5}"
    )


def _compare(
    seconds: float, winners: set[str], recorded: dict[str, Any] | None, time_key: str, key: str
) -> tuple[str, str, str]:
    """(recorded seconds, their time over ours, whether the winners are the same)."""
    if not recorded:
        return ("", "", "")
    theirs = recorded[time_key]
    same = "yes" if set(recorded[key]) == winners else "NO"
    return (f"{theirs:.2f}", f"{theirs / max(seconds, 1e-6):.1f}x", same)


def measure(name: str, completion: str, workers: int, as_cast: bool) -> dict[str, Any]:
    """Parse ``name`` and run MES once with ``workers``: seconds, peak memory, winners."""
    sys.path.insert(0, str(ROOT))
    from budgeting.engine.mes import equal_shares
    from budgeting.engine.model import ProjectBallot, ProjectProfile
    from budgeting.engine.pabulib import read_pb

    profile = read_pb(DATA / name).to_profile()
    scored = profile.vote_type not in ("approval", "choose-1")
    if scored and not as_cast:
        profile = ProjectProfile(
            profile.budget,
            profile.projects,
            tuple(
                ProjectBallot(dict.fromkeys(b.scores, Fraction(1)), voter_id=b.voter_id)
                for b in profile.ballots
            ),
        )
    started = time.perf_counter()
    result = equal_shares(profile, completion=completion, workers=workers)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "peak_mb": own + (workers * largest_worker if largest_worker else 0),
        "runs": result.details["mes_runs"],
        "as_cast": scored and as_cast,
        "selected": list(result.selected),
    }


if __name__ == "__main__":
    main()
