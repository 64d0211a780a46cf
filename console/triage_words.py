"""Triage items in words: the core reports each finding as its kind and facts
(core.reads.triage) and words it (core.reads.triage_words, shared with alerts); the triage pane
shows the sentence with the console's short ids."""

from __future__ import annotations

from console.format import short_id
from core.reads.triage import TriageItem
from core.reads.triage_words import plural, rough_age
from core.reads.triage_words import triage_sentence as sentence

__all__ = ["plural", "rough_age", "triage_sentence"]


def triage_sentence(item: TriageItem, now_ms: int) -> str:
    """One sentence an operator can act on, ids shortened to the tails the console shows."""
    return sentence(item, now_ms, short_id)
