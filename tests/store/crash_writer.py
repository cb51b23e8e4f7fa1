"""Submits ballots in turn for the codes given, printing each receipt only after
``submit_ballot`` returned: forever (``test_crash.py`` kills it with SIGKILL part-way
through), or ``--stop-after N`` ballots (``test_processes.py`` races several of them).

    crash_writer.py DATABASE ROUND_ID CODE... [--stop-after N]
"""

from __future__ import annotations

import sys
from fractions import Fraction

from budgeting import store

if __name__ == "__main__":
    arguments = sys.argv[1:]
    stop_after = None
    if "--stop-after" in arguments:
        at = arguments.index("--stop-after")
        stop_after = int(arguments[at + 1])
        del arguments[at : at + 2]
    conn = store.connect(arguments[0])
    round_id = arguments[1]
    codes = arguments[2:]
    allocation = {"parks": Fraction(6000), "libraries": Fraction(4000)}
    number = 0
    while stop_after is None or number < stop_after:
        code = codes[number % len(codes)]
        ballot = store.submit_ballot(
            conn, round_id, allocation=allocation, project_scores={"A": 1}, code=code
        )
        print(f"{ballot.receipt} {code}", flush=True)
        number += 1
