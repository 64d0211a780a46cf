"""Checks on a raw JSON body's bytes, made before anything parses it: how deeply it nests, that
it is UTF-8, and that its strings hold only characters (no unpaired UTF-16 surrogates).

Python's JSON parsers recurse once per level; a body nested 100,000 deep (200 KB) exhausts the
interpreter's recursion limit or, if something raised that limit, the C stack, which kills the
process. So the gateway measures nesting with byte operations only (no recursion, no per-level
Python work except over brackets that survive the cheap filters) and refuses deep bodies.

The scan ignores brackets inside strings and treats `{}` and `[]` alike. Up to the first byte
where a body stops being JSON (where every parser stops reading), it can only judge the body
deeper than it is, never shallower: an unclosed bracket counts as open to the end.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_CURLY_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_STEP = [0] * 256
_STEP[ord("[")] = 1
_STEP[ord("]")] = -1
# A \uD800-\uDFFF escape that is itself escaped by no backslash (an even run may precede it).
_SURROGATE_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u([dD][89a-fA-F][0-9a-fA-F]{2})")
_ESCAPE_LENGTH = 6  # \uXXXX


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """True when some value of `body` sits inside more than `limit` arrays and objects."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    # Inside a string, a backslash escapes the next byte: drop escaped pairs (left to right, as
    # the parser pairs them), and then every remaining quote opens or closes a string.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    # Innermost empty pairs add one level, never more; dropping them halves most bodies.
    brackets = outside_strings.translate(_CURLY_AS_SQUARE, _NOT_BRACKETS).replace(b"[]", b"")
    if brackets.count(b"[") < limit:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) >= limit


def is_utf8_json(body: bytes) -> bool:
    """False for a body that Python's json module would decode as UTF-16 or UTF-32 (its bytes
    would hide brackets and quotes from the scan above); JSON on the wire is UTF-8 (RFC 8259)."""
    return json.detect_encoding(body) in ("utf-8", "utf-8-sig")


def has_unpaired_surrogate(body: bytes) -> bool:
    """True when a string escapes half of a UTF-16 surrogate pair (`"\\ud800"`): json.loads
    makes it a str that cannot be encoded as UTF-8, so storing or answering it would fail
    later; pydantic's parser refuses such bodies already, json.loads does not."""
    if b"\\ud" not in body and b"\\uD" not in body:
        return False
    high_ends_at = -1  # where an escaped high surrogate ended, waiting for its low half
    for match in _SURROGATE_ESCAPE.finditer(body):
        unit = int(match.group(1), 16)
        starts_at = match.end() - _ESCAPE_LENGTH
        if unit < 0xDC00:  # a high half: none may be waiting
            if high_ends_at >= 0:
                return True
            high_ends_at = match.end()
        elif starts_at == high_ends_at:  # a low half right after its high half
            high_ends_at = -1
        else:
            return True
    return high_ends_at >= 0
