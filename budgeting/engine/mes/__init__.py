"""The Method of Equal Shares (MES) with cost utilities, and its completions.

Sources: Peters & Skowron, "Proportionality and the limits of welfarism" (EC 2020) and
Peters, Pierczyński & Skowron, "Proportional participatory budgeting with additive
utilities" (NeurIPS 2021); the rule as explained on equalshares.net ("Method of Equal
Shares" and "Completion" pages); results match pabutools 1.2.3
(``method_of_equal_shares(sat_class=Cost_Sat)``, pabutools.readthedocs.io, Rules).

The rule: every voter starts with an equal share ``budget / voters`` of the money. A
voter's utility for a project is its cost, weighted by the score the ballot gives it
(``score * cost``: exactly cost utilities on approval and choose-1 ballots, cost weighted by
points on cumulative ballots and by positional points on ordinal ones). A project can be
bought when its supporters still hold its cost; it then costs each supporter
``min(money left, rho * utility)`` with the smallest price per unit of utility ``rho`` that
covers the cost. Each round buys the project with the smallest ``rho``; the rule stops when
no project can be bought. Projects that cost nothing and have a supporter are funded first,
as in pabutools.

Completions (``COMPLETIONS``):

* ``none`` — the rule as above.
* ``add1`` — rerun with every voter's money raised by one currency unit at a time (the
  total budget plus one unit per voter per step) and keep the last outcome whose cost
  stays within the real budget (pabutools ``exhaustion_by_budget_increase(...,
  budget_step=<voters>, exhaustive_stop=False)``). What Assen 2024, Świecie 2023 and
  Wieliczka 2023 published.
* ``add1-exhaustive`` — the same, but stop at the first outcome that is exhaustive: no
  unselected project with a supporter fits in the money the outcome leaves (pabutools
  ``voter_budget_increment=1``, the equalshares.net compute tool's default).
* ``add1u`` — ``add1`` (the last outcome within the budget, no exhaustive stop), then fill
  what is left greedily by score (by votes on approval ballots), skipping what does not
  fit. The equalshares.net "add1u" completion and pabutools' combination of
  ``method_of_equal_shares(..., voter_budget_increment=1)`` with greedy utilitarian welfare
  start from ``add1-exhaustive`` instead; the two agree wherever ``add1`` and
  ``add1-exhaustive`` do (not on Wieliczka 2023).

Ties: equal prices per unit of utility, and equal scores in the greedy fill, are broken by
the one order of ``budgeting.engine.ties``: lower cost, then more supporters, then the
smaller project id. (pabutools' default compares only ids as strings.)

Modules, each holding one idea of the fast implementation, and the plain rule beside it:

* ``election`` — ballots grouped (identical ballots are one weighted group, which never
  splits), projects indexed, and the election restricted to what the ``add1`` scans can
  afford.
* ``money`` — a run's state: money per group on shared money nodes, float money screened
  by a proven error margin, exact money computed only when needed.
* ``pricing`` — a project's price in a round (float lower bounds, water-filling, exact
  prices near ties) and the supporters' payments.
* ``run`` — one run: a lazy priority queue of lower-bound prices, re-pricing only the
  candidate that could win.
* ``float_run`` — one run in floating point with a proven error bound, which the ``add1``
  scans try first on each step when every score is 1; it leaves to the exact run any
  decision within the bound.
* ``scan`` — the ``add1`` scans: stretches of amounts certified and skipped, the other
  steps run one by one.
* ``envelope`` — the certificate: a whole stretch run at once on bounds of every voter's
  money, one branch per order of purchases it cannot rule out.
* ``cut`` — the cut bound that proves no amount of a branch ends the scan.
* ``parallel`` — the ``add1`` scans cut into chunks of steps for several forked processes
  (``workers``), the earliest chunk with a step ending the scan giving the answer.
* ``completions`` — ``equal_shares`` and ``COMPLETIONS``.
* ``explain`` — the explanation steps of a run and the greedy fill of ``add1u``.
* ``reference`` — the rule written the plain way (``reference_equal_shares``): one exact
  budget per voter, every project re-priced every round, every ``add1`` amount run. Slow,
  short and readable; the property tests compare the fast rule with it.
"""

from budgeting.engine.mes.completions import COMPLETIONS, equal_shares
from budgeting.engine.mes.reference import reference_equal_shares

__all__ = ["COMPLETIONS", "equal_shares", "reference_equal_shares"]
