"""Money conversions: integer minor units (pence) in SQL, ``Fraction`` pounds in Python."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

MINOR_PER_MAJOR = 100
AMOUNT_LIMIT = 10**15
"""Every amount stays below a thousand trillion (15 digits before the point, as pabulib
files are read): pence then fit the database's 64-bit integers with room to add them up."""
_AMOUNT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$|^\d+(\.\d{1,2})?$")


class AmountTooLarge(ValueError):
    """An amount at or above ``AMOUNT_LIMIT``."""

    def __init__(self, amount: object):
        super().__init__(f"{amount} is too large: amounts must be under {AMOUNT_LIMIT:,}")


def to_minor(amount: Fraction | int | str | Decimal) -> int:
    """Pounds -> pence; ``ValueError`` when the amount is not a whole number of pence,
    ``AmountTooLarge`` when it is not under ``AMOUNT_LIMIT``."""
    if abs(Fraction(amount)) >= AMOUNT_LIMIT:
        raise AmountTooLarge(amount)
    minor = Fraction(amount) * MINOR_PER_MAJOR
    if minor.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of pence")
    return minor.numerator


def from_minor(minor: int) -> Fraction:
    """Pence -> pounds."""
    return Fraction(minor, MINOR_PER_MAJOR)


def parse_amount(raw: str) -> Fraction:
    """An amount typed by a person: ``12500``, ``12,500.50``, ``£12,500`` (not ``20k``).

    ``ValueError`` for anything else, including negative amounts and more than two decimals;
    ``AmountTooLarge`` from ``AMOUNT_LIMIT`` up.
    """
    cleaned = raw.strip()
    for symbol in ("£", "€", "$"):
        cleaned = cleaned.removeprefix(symbol)
    if not _AMOUNT.match(cleaned):
        raise ValueError(raw)
    amount = Fraction(Decimal(cleaned.replace(",", "")))
    if amount >= AMOUNT_LIMIT:
        raise AmountTooLarge(raw.strip())
    return amount
