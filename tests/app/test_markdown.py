"""Names and descriptions from imports render as exactly the characters typed."""

from __future__ import annotations

import html
import re

from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from budgeting.ui.markdown import WORD_JOINER, literal

COMMONMARK = MarkdownIt("commonmark")
MARKUP_CHARACTERS = "ab1 #*_`[]()!<>$|{}~\\-+=.:;@&"


def rendered_text(markdown: str) -> tuple[str, set[str]]:
    """The text a reader sees, and the HTML tags used to show it."""
    page = COMMONMARK.render(markdown)
    tags = set(re.findall(r"<(\w+)", page))
    text = html.unescape(re.sub(r"<[^>]+>", "", page)).replace(WORD_JOINER, "")
    return " ".join(text.split()), tags


@given(st.text(alphabet=MARKUP_CHARACTERS + "\n", max_size=40))
@example("# Big [click](https://example.org) ![x](https://example.org/x.png) *bold*")
@example("1. first\n- second\n===")
@example("Fish &amp; chips &#42;")
@example("    indented <script>alert(1)</script>")
def test_markup_renders_as_the_characters_typed(text: str) -> None:
    shown, tags = rendered_text(literal(text))
    assert shown == " ".join(text.split())
    assert tags <= {"p", "br"}, tags


def test_ordinary_names_are_unchanged() -> None:
    for name in ("Ward-wide defibrillators", "St Mary's garden", "Fish & chips", "Time: 10am"):
        assert literal(name) == name


def test_addresses_and_shortcodes_are_broken_invisibly() -> None:
    assert literal("https://example.org") == f"https{WORD_JOINER}://example.org"
    assert literal("www.example.org") == f"www{WORD_JOINER}.example.org"
    assert literal("me@example.org") == f"me{WORD_JOINER}@example.org"
    assert literal(":tada:") == f":{WORD_JOINER}tada:"
