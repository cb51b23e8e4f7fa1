"""The audit log's canonical JSON: the fast encoder writes the bytes every entry so far
was written with (the standard library's sorted, compact, UTF-8 form), or the log's
hashes would stop matching."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgeting.store.audit import canonical_bytes, canonical_json

STANDARD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

# Text the log can hold: any character but a lone surrogate (which UTF-8 cannot encode).
TEXT = st.text(st.characters(exclude_categories=("Cs",)))
LOGGED_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400)
@given(LOGGED_VALUES)
def test_the_fast_form_is_the_standard_form(value):
    assert canonical_bytes(value) == STANDARD.encode(value).encode("utf-8")
    assert canonical_json(value) == STANDARD.encode(value)


def test_what_the_fast_encoder_refuses_is_written_in_the_standard_form():
    for value in (2**64, [-(2**70), "x"], {1: "whole-number key"}):
        assert canonical_bytes(value) == STANDARD.encode(value).encode("utf-8")


def test_keys_are_sorted_and_text_is_escaped_as_before():
    value = {"scores": {"P2": 1, "P10": 1}, "area": 'Łąka\n"north"', "code_hash": None}
    assert (
        canonical_bytes(value)
        == ('{"area":"Łąka\\n\\"north\\"","code_hash":null,"scores":{"P10":1,"P2":1}}').encode()
    )


def test_values_the_log_never_holds_are_refused_or_written_as_before():
    import dataclasses
    import enum
    from datetime import datetime

    @dataclasses.dataclass
    class Point:
        x: int

    class Word(str):
        pass

    class Level(enum.IntEnum):
        HIGH = 3

    for refused in (datetime(2027, 4, 1), Point(1), {"at": datetime(2027, 4, 1)}):
        with pytest.raises(TypeError):
            canonical_bytes(refused)
    for value in ({"kind": Word("ballot")}, [Level.HIGH, True], {Word("k"): [Word("v")]}):
        assert canonical_bytes(value) == STANDARD.encode(value).encode("utf-8")
