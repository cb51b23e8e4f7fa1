"""Submits ballots forever, printing each receipt only after ``submit_ballot`` returned.

Run by ``test_crash.py`` as a subprocess that is killed with SIGKILL part-way through.
"""

from __future__ import annotations

import sys
from fractions import Fraction

from budgeting import store

if __name__ == "__main__":
    conn = store.connect(sys.argv[1])
    round_id = sys.argv[2]
    codes = sys.argv[3:]
    allocation = {"parks": Fraction(6000), "libraries": Fraction(4000)}
    number = 0
    while True:
        code = codes[number % len(codes)]
        ballot = store.submit_ballot(
            conn, round_id, allocation=allocation, project_scores={"A": 1}, code=code
        )
        print(f"{ballot.receipt} {code}", flush=True)
        number += 1
