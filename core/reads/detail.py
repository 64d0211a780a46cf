"""One job or one node in full, for the detail screens: the record's hash, and a job's recent
history or the jobs a node holds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core import blobs
from core.models.records.fields import decode_hash, text
from core.models.records.job import JobRecord
from core.models.records.node import NodeRecord
from core.reads.batch import Read, Replies, command
from core.reads.model import Model
from core.store import Store

HISTORY_SHOWN = 50  # a job's last history entries; a node's held jobs, sampled


class JobDetail(Model):
    job_id: str
    fields: dict[str, str]
    history: list[str]
    archived: bool = False  # read back from the archive: the job has left Redis

    @property
    def job(self) -> JobRecord:
        """The job's hash decoded: what screens read, never `fields`."""
        return JobRecord.from_hash(self.fields)

    @property
    def blob_refs(self) -> list[str]:
        """The CIDs of the task's input or code, or the result, kept out of the hash: the
        detail screen reads them once, apart from the poll (which never reads blobs)."""
        return blobs.refs(self.fields)

    def with_blobs(self, found: Mapping[str, bytes]) -> JobDetail:
        """The detail with its task and result whole, once `found` holds every `blob_refs`."""
        if not all(cid in found for cid in self.blob_refs):
            return self
        return self.model_copy(update={"fields": blobs.resolved_fields(self.fields, found)})

    @property
    def task(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.fields.get("task") or "null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def logs(self) -> list[str]:
        try:
            value = json.loads(self.fields.get("logs") or "[]")
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []


class NodeDetail(Model):
    node_id: str
    fields: dict[str, str]
    jobs: list[str]

    @property
    def node(self) -> NodeRecord:
        """The node's hash decoded: what screens read, never `fields`."""
        return NodeRecord.from_hash(self.fields)


def job_detail_read(store: Store, job_id: str) -> Read[JobDetail | None]:
    """None when there is no such job."""
    key = store.keys.job(job_id)
    commands = {
        "hash": command("HGETALL", key),
        "history": command("LRANGE", store.keys.job_history(job_id), -HISTORY_SHOWN, -1),
    }

    def decode(r: Replies) -> JobDetail | None:
        fields = decode_hash(r["hash"])
        if not fields:
            return None
        return JobDetail(
            job_id=job_id, fields=fields, history=[text(e) or "" for e in r["history"]]
        )

    return Read("job_detail", commands, decode)


def node_detail_read(store: Store, node_id: str) -> Read[NodeDetail | None]:
    """None when there is no such node."""
    key = store.keys.node(node_id)
    commands = {
        "hash": command("HGETALL", key),
        "jobs": command("SRANDMEMBER", store.keys.node_jobs(node_id), HISTORY_SHOWN),
    }

    def decode(r: Replies) -> NodeDetail | None:
        fields = decode_hash(r["hash"])
        if not fields:
            return None
        return NodeDetail(
            node_id=node_id, fields=fields, jobs=sorted(text(j) or "" for j in r["jobs"])
        )

    return Read("node_detail", commands, decode)
