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
    if type(amount) is int:  # whole pounds, the usual case: no Fraction needed
        if abs(amount) >= AMOUNT_LIMIT:
            raise AmountTooLarge(amount)
        return amount * MINOR_PER_MAJOR
    value = amount if isinstance(amount, Fraction | int) else Fraction(amount)
    numerator, denominator = value.numerator, value.denominator  # in lowest terms
    if abs(numerator) >= AMOUNT_LIMIT * denominator:
        raise AmountTooLarge(amount)
    if MINOR_PER_MAJOR % denominator:
        raise ValueError(f"{amount} is not a whole number of pence")
    return numerator * (MINOR_PER_MAJOR // denominator)


def from_minor(minor: int) -> Fraction:
    """Pence -> pounds."""
    return Fraction(minor, MINOR_PER_MAJOR)


class MinorAmounts(dict[int, Fraction]):
    """Pence -> pounds for many amounts, each distinct amount converted once: a million
    ballots' allocations repeat a few thousand amounts (``amounts[minor]``)."""

    def __missing__(self, minor: int) -> Fraction:
        amount = self[minor] = from_minor(minor)
        return amount


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
