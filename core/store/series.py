"""The console's time series, sized once: the Lua scripts count into buckets of this size (the
script loader declares it at the top of every script) and the Python that seeds, trims and
reads the series divides by the same number."""

from __future__ import annotations

STATS_BUCKET_MS = 10_000  # jobs and agents per 10-second bucket

# Declared as Lua locals ahead of every script (core.store.scripts.script_source).
LUA_CONSTANTS: dict[str, int] = {"STATS_BUCKET_MS": STATS_BUCKET_MS}
