"""The node table (and the earnings pane's, which is the same table): one window of an index,
picked and read on the server by snapshot_nodes.lua.

Why the column sorts are bounded rather than indexed: earnings, reputation and load change on
every job a node finishes, so an index per column would add writes to each job's completion
(which another change is cutting) and need a backfill for nodes registered before it. A pool
of up to `search_budget` nodes is sorted exactly, over all of them; a larger fleet is sorted
among its newest `search_budget` nodes, and the console labels it so."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.models.records.fields import RawHash, int_or
from core.models.records.node import NodeRecord
from core.reads.batch import Read, Replies, script
from core.reads.model import SEARCH_BUDGET, Model, Page
from core.reads.replies import RowMemo, script_reply, sort_values
from core.store import Store


class NodeWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=500)
    status: Literal["active", "busy", "draining", "offline"] | None = None
    newest_first: bool = True
    sort: Literal["earnings", "load", "reputation", "running"] | None = Field(
        default=None, description="A column to order by, largest first; None: the index's order."
    )
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Text to find (literally, any case) in the node id or region.",
    )
    search_budget: int = Field(
        default=SEARCH_BUDGET,
        ge=1,
        le=100_000,
        description="Entries a sort or a search examines.",
    )
    scan_from: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Where in the index a sort or search starts: a slice of a longer pass.",
    )


class NodeRow(Model):
    node_id: str
    region: str
    status: str
    cpu: int
    cpu_used: int
    memory_mb: int
    mem_used: int
    running: int
    reputation: int
    jobs_completed: int
    jobs_failed: int
    earnings: int = Field(description="Lifetime earnings, micro-USD.")
    last_seen: int | None
    lat: float | None
    lon: float | None
    gpu: bool
    registered_at: int | None

    @property
    def load(self) -> float:
        """The larger of cpu and memory use, 0–1: what "busy" is decided by."""
        cpu = self.cpu_used / self.cpu if self.cpu else 0.0
        mem = self.mem_used / self.memory_mb if self.memory_mb else 0.0
        return min(1.0, max(cpu, mem))


ROW_FIELDS = set(NodeRow.model_fields)


def node_row(h: RawHash) -> NodeRow:
    """A row of the table from the node's record (the script reads only the row's fields)."""
    record = NodeRecord.from_hash(h)
    # The record's fields are already parsed to the row's types: no second validation.
    return NodeRow.model_construct(**record.model_dump(include=ROW_FIELDS))


NODE_ROWS = RowMemo(node_row)  # shared by every poll of this process


def nodes_read(store: Store, name: str, window: NodeWindow) -> Read[Page[NodeRow]]:
    """A window of all nodes, or of the nodes in one state; `name` tells the node table's read
    from the earnings pane's in the same batch."""
    keys = store.keys
    index = keys.nodes_all if window.status is None else keys.nodes_with_status(window.status)
    flag = "1" if window.newest_first else "0"
    args: list[object] = [window.offset, window.limit, flag]
    if window.sort or window.text:
        args += [window.sort or "", window.search_budget, (window.text or "").lower()]
        args += [window.scan_from]
    commands = {"window": script(store, "snapshot_nodes", [index], *args)}

    def decode(r: Replies) -> Page[NodeRow]:
        reply = script_reply(r["window"])
        return Page[NodeRow](
            rows=NODE_ROWS.rows(reply),
            total=int_or(reply.get("total")),
            offset=window.offset,
            exact=bool(reply.get("exact", True)),
            scanned=int_or(reply.get("scanned")),
            matched=None if reply.get("matched") is None else int_or(reply.get("matched")),
            values=sort_values(reply),
        )

    return Read(name, commands, decode)
