"""Text from an import or an officer, shown exactly as typed.

Most Streamlit text elements and every widget label render Markdown (links, images that
load from another site, headings, emphasis, LaTeX between ``$``), and Streamlit then turns
bare addresses into links and ``:name:`` into emoji or icons. ``literal`` defeats both:

* characters that start markup are backslash-escaped (CommonMark lets a backslash escape
  any ASCII punctuation: CommonMark spec 0.31, "Backslash escapes"); ``-``, ``+``, ``=`` and
  ``1.`` only at the start of a line, where they make lists and headings; indentation at
  the start of a line, which would make a code block, is dropped;
* bare addresses (``https://``, ``www.``, ``name@host``) and ``:shortcodes:`` survive
  escaping as text and are turned into links or emoji afterwards, so an invisible
  WORD JOINER (U+2060) goes inside them: ``https⁠://`` no longer reads as an address.

What a resident sees is the same characters; an ordinary name is unchanged.
"""

from __future__ import annotations

import functools
import re

WORD_JOINER = "\u2060"
_MARKUP = re.compile(r"([\\`*_~\[\]()!<>$#|{}]|&(?=#?\w+;))")
"""Characters that open or close inline markup anywhere in a line, and ``&`` where it would
start a character reference (``&amp;``)."""
_LINKS_AND_SHORTCODES = re.compile(
    r"(?<=\w)(?=:\S)"  # scheme:  (https://, mailto:)
    r"|(?i:(?<=\bwww))(?=\.)"  # www.
    r"|(?<=\w)(?=@\w)"  # name@host
    r"|(?<=:)(?=\w[\w/+-]*:)"  # :shortcode:
)
"""Where a bare address or e-mail address would become a link, or ``:name:`` an emoji."""
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
"""Indentation, which would make a code block (and a page shows none at a line's start)."""
_LINE_MARKER = re.compile(r"^([-+=]|\d+(?=[.)]))", re.MULTILINE)
"""List items, numbered items and setext underlines: markup only at the start of a line."""


@functools.lru_cache(maxsize=4096)
def literal(text: str) -> str:
    """``text`` made safe for Streamlit's Markdown: it renders exactly these characters.

    Remembered for the last 4,096 texts: every rerun of a ballot step shows the same names
    and descriptions again (escaping them took 2 % of the server's CPU in a ``py-spy``
    profile of residents' journeys, ``bench/load.py --one-at-a-time``)."""
    escaped = _MARKUP.sub(r"\\\1", text)
    escaped = _LINKS_AND_SHORTCODES.sub(WORD_JOINER, _INDENT.sub("", escaped))
    return _LINE_MARKER.sub(_escape_marker, escaped)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(1)
    if marker[0].isdigit():  # "1." and "1)": escape the punctuation after the number
        return f"{marker}\\"
    return f"\\{marker}"
