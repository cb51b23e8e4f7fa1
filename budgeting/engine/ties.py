"""The one tie-breaking order every selection rule and completion step uses.

equalshares.net order (spec, "Ties"): among otherwise equal projects prefer the lower
cost, then more supporters, then the smaller project id (compared as strings, as
pabutools and the equalshares.net tool compare them).
"""

from __future__ import annotations

from fractions import Fraction


def tie_order_key(cost: Fraction, supporters: int, project_id: str) -> tuple[Fraction, int, str]:
    """Sort key: smaller sorts first and wins a tie."""
    return (cost, -supporters, project_id)
