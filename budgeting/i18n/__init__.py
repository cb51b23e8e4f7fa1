"""The message catalogue: every resident-facing text, in every language we ship.

Each language is a folder of JSON files (``en/``, ``cy/``, ...) mapping message keys to
``str.format`` templates; a language's files are merged, so adding a third language is a
data change: copy ``en/`` to a new folder and translate the values. Keys missing from a
language fall back to English, so a partial translation never shows a raw key.

Pure standard library, so the engine can use it for validation messages.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


@cache
def languages() -> dict[str, str]:
    """Language code -> the language's own name (its ``language.name`` message)."""
    codes = sorted(
        p.name for p in CATALOGUE_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")
    )
    return {code: _catalogue(code).get("language.name", code) for code in codes}


@cache
def _catalogue(language: str) -> dict[str, str]:
    folder = CATALOGUE_DIR / language
    messages: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        messages.update(json.loads(path.read_text(encoding="utf-8")))
    return messages


def text(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message ``key`` in ``language`` (English when untranslated), filled with ``params``."""
    template = _catalogue(language).get(key)
    if template is None:
        template = _catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**params)


def format_number(value: Any) -> str:
    """A score or threshold as residents read it: ``1,204`` when whole, else at most two
    decimals (``30.5``), never a fraction like ``61/2``."""
    number = float(value)
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0")


def format_money(amount: Any, currency_symbol: str = "£") -> str:
    """Money as residents read it: ``£4,000`` for whole amounts, ``£4,000.50`` otherwise."""
    value = float(amount)
    if value == int(value):
        return f"{currency_symbol}{int(value):,}"
    return f"{currency_symbol}{value:,.2f}"
