"""The byte checks made on a JSON body before anything parses it, each checked against what
json.loads makes of the same bytes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.json_screen import has_unpaired_surrogate, is_utf8_json, nested_deeper_than

LIMIT = 6


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


# Strings full of the bytes that could fool a scan: brackets, quotes and backslashes.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\ab\n/é'), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(json_values, st.booleans())
def test_the_scan_agrees_with_the_parser(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert nested_deeper_than(body, LIMIT) == (depth(value) > LIMIT)


def test_deep_bodies_are_caught_and_brackets_in_strings_are_not() -> None:
    assert nested_deeper_than(b"[" * 100_000 + b"]" * 100_000, 64)
    assert nested_deeper_than(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 64)
    assert nested_deeper_than(b"[" * 100_000, 64)  # never closed: still deep
    assert not nested_deeper_than(json.dumps({"code": "[" * 100_000}).encode(), 64)
    assert not nested_deeper_than(json.dumps(["\\", "[" * 1000, '"[{']).encode(), 64)
    # An escaped quote does not end the string that hides the brackets after it.
    assert not nested_deeper_than(json.dumps(['"' + "[" * 1000]).encode(), 64)
    assert nested_deeper_than(b'["\\\\"' + b"[" * 100 + b"]" * 100 + b"]", 64)
    exactly = b"[" * 64 + b"]" * 64
    assert not nested_deeper_than(exactly, 64) and nested_deeper_than(b"[" + exactly + b"]", 64)


def test_only_utf8_passes() -> None:
    text = json.dumps({"pkpAddress": "0x" + "ab" * 20})
    assert is_utf8_json(text.encode()) and is_utf8_json(b"\xef\xbb\xbf" + text.encode())
    assert is_utf8_json(b"")
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"):
        assert not is_utf8_json(text.encode(encoding)), encoding


# Code points around the surrogate range, and the characters that make up escapes.
code_units = st.sampled_from([0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0x1F600, 0xE9, 0x5C, 0x22, 0x75])


def utf8_safe(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(code_units, max_size=6).map(lambda cs: "".join(map(chr, cs))), max_size=4))
def test_unpaired_surrogates_are_found_as_the_parser_would_make_them(texts: list[str]) -> None:
    body = json.dumps(texts).encode()  # surrogates as \\udXXX escapes
    assert has_unpaired_surrogate(body) == (not utf8_safe(json.loads(body)))


def test_escaped_backslashes_are_not_surrogate_escapes() -> None:
    assert has_unpaired_surrogate(b'["\\ud800"]')
    assert has_unpaired_surrogate(b'["\\\\\\ud800"]')  # \\\\ then \\ud800
    assert not has_unpaired_surrogate(b'["\\\\ud800"]')  # the text \\ud800
    assert not has_unpaired_surrogate(b'["\\ud83d\\ude00"]')  # one emoji
    assert has_unpaired_surrogate(b'["\\ud83d\\\\ude00"]')
    assert has_unpaired_surrogate(b'["\\ude00\\ud83d"]')
