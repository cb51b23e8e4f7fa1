"""Money conversions: integer minor units (pence) in SQL, ``Fraction`` pounds in Python."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

MINOR_PER_MAJOR = 100
_AMOUNT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$|^\d+(\.\d{1,2})?$")


def to_minor(amount: Fraction | int | str | Decimal) -> int:
    """Pounds -> pence; ``ValueError`` when the amount is not a whole number of pence."""
    minor = Fraction(amount) * MINOR_PER_MAJOR
    if minor.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of pence")
    return minor.numerator


def from_minor(minor: int) -> Fraction:
    """Pence -> pounds."""
    return Fraction(minor, MINOR_PER_MAJOR)


def parse_amount(raw: str) -> Fraction:
    """An amount typed by a person: ``12500``, ``12,500.50``, ``£12,500`` (not ``20k``).

    ``ValueError`` for anything else, including negative amounts and more than two decimals.
    """
    cleaned = raw.strip()
    for symbol in ("£", "€", "$"):
        cleaned = cleaned.removeprefix(symbol)
    if not _AMOUNT.match(cleaned):
        raise ValueError(raw)
    return Fraction(Decimal(cleaned.replace(",", "")))
