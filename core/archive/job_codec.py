"""A job hash as the archive keeps it, and back: `job_fields_from_archived` gives the hash's
fields exactly as Redis held them (text for text), so `JobRecord.from_hash` and the API's Job
model work unchanged on an archived job.

How a hash becomes an `ArchivedJob`:
* the columns the archive filters on (id, status, creator, node, created_at, finished_at,
  actual_cost → cost) are lifted out of the hash when their text is the canonical form of their
  value, so nothing is stored twice; a field whose text is not canonical (`'5.0'`) stays in the
  record as it was and the column holds a best-effort value;
* `result` (the JSON `complete_many` writes: compact, sorted keys) and `logs` (a JSON list of
  strings) are lifted into the columns of their names when they read back to the same text;
* every other field goes into `record` under its own name, as an int when its text is a
  canonical integer, as parsed JSON when it is compact JSON that re-serialises to the same text
  (the task), else as the text — smaller to store, exact to restore;
* a value above BLOB_BYTES is stored once by its CID (`bytes_cid` of its UTF-8 bytes, the same id
  `complete_many` gives a result) and referenced from `record["$blobs"]` by field name; the
  caller stores `job_blobs(...)` with `Archive.put_blob` before the job.

Field names starting with `$` are kept with one more `$` in front, so `$blobs` is never a field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, get_args

from core.archive.archive import Archive
from core.archive.models import ArchivedJob
from core.errors import InvalidInput, NotFound
from core.ids import bytes_cid
from core.models.job import JobStatus

BLOB_BYTES = 4 * 1024
BLOBS = "$blobs"
_CANONICAL_INT = re.compile(r"(0|-?[1-9][0-9]*)")
_STATUSES: tuple[str, ...] = get_args(JobStatus)
# Optional integer columns: hash field → column.
_INT_COLUMNS = {"finished_at": "finished_at", "actual_cost": "cost"}


def _utf8(text: str) -> bytes:
    # surrogatepass: a field read with errors='surrogateescape' still round-trips byte for byte
    return text.encode("utf-8", "surrogatepass")


def _canonical_int(text: str) -> int | None:
    if not _CANONICAL_INT.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts
        return None


def _compact(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys)


def _json(text: str) -> Any:
    """The parsed JSON value, or a sentinel when the text is not JSON Python reads back."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON = object()


def _packed(text: str) -> Any:
    """A field's text as the record keeps it: int, JSON container or the text itself."""
    number = _canonical_int(text)
    if number is not None:
        return number
    if text[:1] in ("{", "["):
        value = _json(text)
        if isinstance(value, dict | list):
            try:
                if _compact(value) == text:
                    return value
            except (ValueError, RecursionError):
                pass
    return text


def _unpacked(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | dict | list):
        raise InvalidInput(f"The archived job record holds a value of type {type(value).__name__}.")
    return str(value) if isinstance(value, int) else _compact(value)


def _escape(name: str) -> str:
    return "$" + name if name.startswith("$") else name


def _unescape(name: str) -> str:
    return name[1:] if name.startswith("$$") else name


def _is_blob(text: str) -> bool:
    return len(text) > BLOB_BYTES // 4 and len(_utf8(text)) > BLOB_BYTES


def _lifted_result(text: str | None) -> Any:
    if text is None or _is_blob(text):
        return None
    value = _json(text)
    if value is _NOT_JSON or value is None:
        return None
    try:
        return value if _compact(value, sort_keys=True) == text else None
    except (ValueError, RecursionError):
        return None


def _lifted_logs(text: str | None) -> list[str]:
    if text is None or _is_blob(text):
        return []
    value = _json(text)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return []
    return value if json.dumps(value) == text else []


def archived_from_redis(
    fields: Mapping[str, str], history: list[str], result: bytes | None = None
) -> ArchivedJob:
    """The archive's row for a finished job's hash and history. `result` is the out-of-line
    result blob (`blob:<result_cid>`, for results too large to keep in the hash), if any: it
    goes to `job_blobs`, not into the row."""
    del result  # only job_blobs stores it; accepted here so both take the same arguments
    rest = dict(fields)
    job_id, status, creator = rest.pop("id", ""), rest.pop("status", ""), rest.pop("creator", "")
    if not job_id:
        raise InvalidInput("The job hash has no id.")
    if status not in _STATUSES:
        raise InvalidInput(f"The job {job_id} has the status {status!r}, which is no job status.")
    if not creator:
        raise InvalidInput(f"The job {job_id} has no creator.")
    columns: dict[str, Any] = {"id": job_id, "status": status, "creator": creator}
    node = rest.get("node")
    if node:
        columns["node"] = rest.pop("node")
    created = _canonical_int(rest.get("created_at", ""))
    if created is not None and created > 0:
        columns["created_at"] = created
        del rest["created_at"]
    else:
        columns["created_at"] = max(0, _best_int(rest.get("created_at")) or 0)
    for field, column in _INT_COLUMNS.items():
        number = _canonical_int(rest.get(field, ""))
        if number is not None and (column != "finished_at" or number >= 0):
            columns[column] = number
            del rest[field]
        else:
            best = _best_int(rest.get(field))
            columns[column] = (
                None if best is None or (column == "finished_at" and best < 0) else best
            )
    lifted_result = _lifted_result(rest.get("result"))
    if lifted_result is not None:
        del rest["result"]
    logs = _lifted_logs(rest.get("logs"))
    if logs:
        del rest["logs"]
    record: dict[str, Any] = {}
    blobs: dict[str, str] = {}
    for name, text in rest.items():
        if _is_blob(text):
            blobs[_escape(name)] = bytes_cid(_utf8(text))
        else:
            record[_escape(name)] = _packed(text)
    if blobs:
        record[BLOBS] = blobs
    return ArchivedJob(
        **columns, record=record, history=list(history), result=lifted_result, logs=logs
    )


def _best_int(text: str | None) -> int | None:
    """A column's value when its text is not canonical: what the record codecs would read."""
    if not text:
        return None
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return None


def job_blobs(fields: Mapping[str, str], result: bytes | None = None) -> dict[str, bytes]:
    """What to store with `Archive.put_blob` before the job: each large field's bytes by CID,
    and the out-of-line result by its `result_cid` when its bytes match it."""
    found = {bytes_cid(_utf8(t)): _utf8(t) for t in fields.values() if _is_blob(t)}
    if result is not None and bytes_cid(result) == fields.get("result_cid"):
        found[bytes_cid(result)] = result
    return found


def blob_refs(job: ArchivedJob) -> list[str]:
    """The CIDs `job_fields_from_archived` needs to rebuild the hash."""
    refs = job.record.get(BLOBS) or {}
    return sorted(set(refs.values())) if isinstance(refs, dict) else []


def job_fields_from_archived(
    job: ArchivedJob, blobs: Mapping[str, bytes] | None = None
) -> dict[str, str]:
    """The job hash's fields exactly as Redis held them. Large values come from `blobs` (CID →
    bytes, see `blob_refs`, or use `load_job_fields`); a missing one raises NotFound."""
    fields: dict[str, str] = {"id": job.id, "status": job.status, "creator": job.creator}
    if job.node is not None:
        fields["node"] = job.node
    if job.created_at > 0:
        fields["created_at"] = str(job.created_at)
    if job.finished_at is not None:
        fields["finished_at"] = str(job.finished_at)
    if job.cost is not None:
        fields["actual_cost"] = str(job.cost)
    if job.result is not None:
        fields["result"] = _compact(job.result, sort_keys=True)
    if job.logs:
        fields["logs"] = json.dumps(job.logs)
    for name, value in job.record.items():
        if name == BLOBS:
            continue
        fields[_unescape(name)] = _unpacked(value)
    refs = job.record.get(BLOBS) or {}
    for name, cid in refs.items() if isinstance(refs, dict) else ():
        data = (blobs or {}).get(cid)
        if data is None:
            raise NotFound(f"The archive has no blob {cid} for field {name!r} of job {job.id}.")
        fields[_unescape(name)] = data.decode("utf-8", "surrogatepass")
    return fields


async def load_job_fields(archive: Archive, job: ArchivedJob) -> dict[str, str]:
    """`job_fields_from_archived` with its large values read from the archive."""
    blobs: dict[str, bytes] = {}
    for cid in blob_refs(job):
        data = await archive.get_blob(cid)
        if data is not None:
            blobs[cid] = data
    return job_fields_from_archived(job, blobs)
