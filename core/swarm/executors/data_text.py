"""Text operations: word-count (splittable) and sha256 (not: a digest has no partial form)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
from collections import Counter
from typing import Any

from core.swarm.executors.data_common import fields, items, text_field
from core.swarm.executors.errors import ExecutionError

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W")


def _text(input: Any) -> str:
    """The text to count: `{"text": str}`, or a list of strings counted as one text."""
    if isinstance(input, list):
        texts = items(input, "input", "word-count")
        if not all(isinstance(t, str) for t in texts):
            raise ExecutionError("The list given to word-count must hold only strings.")
        # A newline is a non-word character, so joining never merges two words into one.
        return "\n".join(texts)
    return text_field(fields(input, "word-count"), "text", "word-count")


def word_count(input: Any, partial: bool = False) -> dict[str, Any]:
    # Words are found in the original text and lowercased one by one: lowercasing a whole
    # text can depend on neighbouring letters (Greek final sigma), which a shard boundary
    # would change.
    counts = Counter(word.lower() for word in _WORD.findall(_text(input)))
    return _counts_result(counts)


def _counts_result(counts: Counter[str]) -> dict[str, Any]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {"words": sum(counts.values()), "counts": dict(ordered)}


def split_word_count(input: Any, shards: int) -> list[Any]:
    """Cut the text just after non-word characters, so that no word is ever cut in two."""
    text = _text(input)
    cuts = [0]
    for i in range(1, shards):
        target = max(len(text) * i // shards, cuts[-1])
        boundary = _NON_WORD.search(text, target)
        if boundary is None:
            break
        if cuts[-1] < boundary.end() < len(text):
            cuts.append(boundary.end())
    cuts.append(len(text))
    return [{"text": text[start:end]} for start, end in itertools.pairwise(cuts)]


def reduce_word_count(partial_outputs: list[Any]) -> dict[str, Any]:
    if not isinstance(partial_outputs, list) or not partial_outputs:
        raise ExecutionError("There are no partial results to combine for word-count.")
    total: Counter[str] = Counter()
    for part in partial_outputs:
        counts = part.get("counts") if isinstance(part, dict) else None
        if not isinstance(counts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values()
        ):
            raise ExecutionError("A partial result is not a word-count result.")
        total.update(counts)
    return _counts_result(total)


def sha256(input: Any, partial: bool = False) -> str:
    data = fields(input, "sha256")
    if ("text" in data) == ("base64" in data):
        raise ExecutionError("The input for sha256 needs exactly one of 'text' or 'base64'.")
    if "text" in data:
        payload = text_field(data, "text", "sha256").encode("utf-8")
    else:
        try:
            payload = base64.b64decode(text_field(data, "base64", "sha256"), validate=True)
        except (binascii.Error, ValueError):
            raise ExecutionError("The 'base64' field for sha256 is not valid base64.") from None
    return hashlib.sha256(payload).hexdigest()
