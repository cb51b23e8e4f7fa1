"""The page texts in the message catalogue: every language has every text, with the same
placeholders, and every text the pages ask for exists."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from budgeting import i18n
from budgeting.store.models import BALLOT_FORMATS, ROUND_STATUSES

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "budgeting" / "i18n"
LITERAL_KEY = re.compile(r"""\b(?:t|text)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def ui_messages(language: str) -> dict[str, str]:
    return json.loads((CATALOGUE / language / "ui.json").read_text(encoding="utf-8"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", [code for code in i18n.languages() if code != "en"])
def test_every_language_has_every_page_text_with_the_same_placeholders(language):
    english, other = ui_messages("en"), ui_messages(language)
    assert set(other) == set(english)
    for key, template in english.items():
        assert placeholders(other[key]) == placeholders(template), key


def all_messages(language: str) -> dict[str, str]:
    """Every file of a language's catalogue, merged as the app merges them."""
    messages: dict[str, str] = {}
    for path in sorted((CATALOGUE / language).glob("*.json")):
        messages.update(json.loads(path.read_text(encoding="utf-8")))
    return messages


def test_every_text_the_pages_use_exists():
    sources = [*ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("budgeting/ui").glob("*.py")]
    used = {key for path in sources for key in LITERAL_KEY.findall(path.read_text("utf-8"))}
    assert used, "no keys found: the pattern no longer matches the pages"
    built = {f"officer.status.{status}" for status in ROUND_STATUSES} | {
        f"results.live_standings.{ballot_format}" for ballot_format in BALLOT_FORMATS
    }
    english = all_messages("en")
    missing = sorted(key for key in used | built if key not in english)
    assert not missing


def test_welsh_is_a_real_translation():
    """Every text with words in it differs from the English (only bare placeholders such as
    ``{name} ({cost})`` may stay the same)."""
    english, welsh = ui_messages("en"), ui_messages("cy")
    untranslated = [
        key
        for key, template in english.items()
        if welsh[key] == template and re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", template))
    ]
    assert not untranslated
