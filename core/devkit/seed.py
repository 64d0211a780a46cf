"""Deterministic seeded states: the console's screenshots and tests, and its benchmark's
100k-node / 1M-job fleets.

The seeder writes the same hashes and indexes the Lua scripts maintain (see store/lua), with
fixed ids and timestamps derived from `now_ms`, so the same call always produces the same pool
and the operator actions (drain, reassign, cancel, retry) work on what it wrote. It writes in
large pipelines rather than through the lifecycle scripts because the scripts read the server
clock and draw random salts, and because a million jobs through them would take minutes.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from core.models.job import Task
from core.money import split
from core.store import Store
from core.store.series import STATS_BUCKET_MS

# 2026-01-15 12:00:00 UTC: the fixed "now" of screenshots and snapshot tests.
FIXED_NOW_MS = 1_768_478_400_000
REF_RATE = 51_000  # lua/include/lib.lua: the placement score's reference rate
SERIES_BUCKETS = 90

REGIONS: tuple[tuple[str, float, float], ...] = (
    ("us-east-1", 40.7, -74.0), ("us-west-2", 45.5, -122.7), ("us-central-1", 41.9, -87.6),
    ("ca-central-1", 43.7, -79.4), ("mx-central-1", 19.4, -99.1), ("sa-east-1", -23.5, -46.6),
    ("eu-west-1", 53.3, -6.3), ("eu-west-2", 51.5, -0.1), ("eu-central-1", 50.1, 8.7),
    ("eu-north-1", 59.3, 18.1), ("eu-south-1", 45.5, 9.2), ("me-south-1", 26.1, 50.6),
    ("af-south-1", -33.9, 18.4), ("ap-south-1", 19.1, 72.9), ("ap-southeast-1", 1.35, 103.8),
    ("ap-east-1", 22.3, 114.2), ("ap-northeast-1", 35.7, 139.7), ("ap-northeast-2", 37.6, 127.0),
    ("ap-southeast-2", -33.9, 151.2), ("af-west-1", 6.5, 3.4),
)  # fmt: skip
MODELS = ("iris-classifier", "digits-classifier", "wine-classifier")
CREATORS = tuple("0x" + hashlib.sha256(f"creator-{i}".encode()).hexdigest()[:40] for i in range(6))
ERRORS = (
    "SyntaxError: Unexpected token '}' at line 3.",
    "The code ran past its 30 s timeout.",
    "The features for iris-classifier must be a list of 4 numbers.",
    "Its lease expired. Gave up after 3 attempts.",
    "MemoryError: the job exceeded its 1024 MB limit.",
)


_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def fake_cid(label: str, codec: int = 0x71, serial: int | None = None) -> str:
    """A valid CIDv1 (dag-cbor by default, 0x55 for raw) named by `label` (and `serial`),
    without encoding a record; the same arguments always give the same id.

    With `serial`, the digest is the label's hash with the serial in its last six bytes, and
    only those are encoded here: fast enough for the benchmark's million jobs."""
    if serial is None:
        digest = hashlib.sha256(label.encode()).digest()
        raw = bytes([1, codec, 0x12, 0x20]) + digest
        return "b" + base64.b32encode(raw).decode().lower().rstrip("=")
    head = _cid_head(label, codec)
    # An odd multiplier is a bijection mod 2^40: unique ids that do not look sequential.
    value = (serial * 0x9E37_79B9_7F) & 0xFF_FFFF_FFFF  # bytes 30–34: eight characters
    group = "".join(_B32[(value >> shift) & 31] for shift in range(35, -1, -5))
    last = (serial >> 40) & 0xFF  # byte 35: two characters, padded with zero bits
    return head + group + _B32[last >> 3] + _B32[(last & 7) << 2]


@functools.cache
def _cid_head(label: str, codec: int) -> str:
    """The first 48 characters of the CID: the prefix and the first 26 digest bytes."""
    raw = bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(label.encode()).digest()[:26]
    return "b" + base64.b32encode(raw).decode().lower()


def _task_templates() -> list[Task]:
    tasks = [
        Task(type="code-execution", language="javascript",
             code='console.log("Hello from Lit Compute!");', input={}),
        Task(type="code-execution", language="python",
             code="import sys, json\nprint(sum(json.load(sys.stdin)['xs']))",
             input={"xs": [1, 2, 3]}),
        Task(type="data-processing", operation="word-count",
             input={"text": "the quick brown fox jumps over the lazy dog"}),
        Task(type="data-processing", operation="sort", input={"values": [5, 3, 9, 1]}),
    ]  # fmt: skip
    for model in MODELS:
        tasks.append(
            Task(type="model-inference", model_id=model, input={"features": [5.1, 3.5, 1.4, 0.2]})
        )
    return tasks


TEMPLATES = _task_templates()
_TASK_JSON = {id(t): json.dumps(t.wire(), separators=(",", ":")) for t in TEMPLATES}


def _score(reputation: int, rate: int) -> float:
    return 0.7 * (reputation / 100) + 0.3 * (REF_RATE / (REF_RATE + rate))


@dataclass
class SeedSummary:
    """What a seed wrote, so tests and the bench can pick targets without reading Redis."""

    nodes: list[str] = field(default_factory=list)
    jobs_by_status: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    agents: list[str] = field(default_factory=list)
    node_status: dict[str, str] = field(default_factory=dict)
    now_ms: int = FIXED_NOW_MS

    def first(self, status: str) -> str:
        return self.jobs_by_status[status][0]


@dataclass
class _Node:
    id: str
    fields: dict[str, Any]
    status: str
    cpu: int
    memory_mb: int
    tags: list[str]
    cpu_used: int = 0
    mem_used: int = 0
    running: int = 0
    jobs: list[str] = field(default_factory=list)
    earnings: int = 0
    completed: int = 0
    failed: int = 0


# Seeding only (never loaded by the core): run a batch of commands sent as one JSON list, so a
# million jobs cost a few thousand round trips and no per-argument encoding in Python.
_BULK_SCRIPT = """
for _, c in ipairs(cjson.decode(ARGV[1])) do redis.call(unpack(c)) end
return 0
"""


class _Writer:
    """Commands batched into one script call per `batch`: bounded memory at any size."""

    def __init__(self, store: Store, batch: int) -> None:
        self.store = store
        self.batch = batch
        self.commands: list[list[str]] = []
        self.sha = ""
        self.inflight: asyncio.Task[Any] | None = None

    async def add(self, command: str, *args: Any) -> None:
        self.commands.append([command, *map(str, args)])
        if len(self.commands) >= self.batch:
            await self.flush()

    async def add_pairs(self, command: str, key: str, flat: list[Any]) -> None:
        """A long HSET/ZADD split into calls of at most 1,000 pairs (Lua's unpack limit)."""
        for start in range(0, len(flat), 2_000):
            await self.add(command, key, *flat[start : start + 2_000])

    async def flush(self) -> None:
        if not self.commands:
            return
        if not self.sha:
            self.sha = await self.store.redis.script_load(_BULK_SCRIPT)
        payload = json.dumps(self.commands, separators=(",", ":"))
        self.commands = []
        # One batch in flight while the next is built: Redis and Python work side by side.
        await self.wait()
        self.inflight = asyncio.ensure_future(
            self.store.redis.evalsha(self.sha, 1, self.store.keys.nodes_all, payload)
        )

    async def wait(self) -> None:
        if self.inflight is not None:
            inflight, self.inflight = self.inflight, None
            await inflight


async def _post(
    w: _Writer, idem: str, kind: str, ref: str, legs: list[tuple[str, str, int, str]]
) -> None:
    """A journal entry exactly as lib.lua's post_legs writes it, so the seeded books replay and
    prove like real ones (the lean benchmark pools skip the journal)."""
    journal = w.store.keys.journal
    await w.add("HSET", w.store.keys.ledger_idem, idem, 1)
    legs_json = json.dumps([list(leg) for leg in legs])
    await w.add("XADD", journal, "*", "idem", idem, "kind", kind, "ref", ref, "legs", legs_json)


def _make_node(i: int, rng: random.Random, now_ms: int, *, label: str) -> _Node:
    region, lat, lon = REGIONS[i % len(REGIONS)] if i < len(REGIONS) else rng.choice(REGIONS)
    node_id = fake_cid(f"{label}-node-{i}")
    address = "0x" + hashlib.sha256(f"{label}-address-{i}".encode()).hexdigest()[:40]
    cpu = rng.choice((2, 4, 8, 8, 16, 32))
    memory_gb = cpu * rng.choice((2, 4))
    gpu = rng.random() < 0.2
    runtimes = ["javascript", "python"] if rng.random() < 0.8 else ["python"]
    models = sorted(rng.sample(MODELS, rng.randint(0, 2)))
    tags = ["data"] + [f"rt:{r}" for r in runtimes] + [f"model:{m}" for m in models]
    if gpu:
        tags += [f"{t}+gpu" for t in tags]
    price_cpu = rng.randint(5, 20) * 100
    price_mem = rng.randint(3, 8) * 10_000
    registered = now_ms - rng.randint(3_600_000, 40 * 86_400_000)
    fields: dict[str, Any] = {
        "id": node_id,
        "address": address,
        "public_key": "0x04" + hashlib.sha512(f"{label}-key-{i}".encode()).hexdigest(),
        "cpu": cpu,
        "memory_mb": memory_gb * 1024,
        "memory_gb": str(memory_gb),
        "gpu": int(gpu),
        "storage_gb": str(rng.choice((100, 250, 500, 1000))),
        "runtimes": json.dumps(runtimes),
        "models": json.dumps(models),
        "region": region,
        "lat": repr(round(lat + rng.uniform(-4, 4), 3)),
        "lon": repr(round(lon + rng.uniform(-5, 5), 3)),
        "price_cpu": price_cpu,
        "price_mem": price_mem,
        "price_storage": 10_000,
        "price_gpu": 500_000,
        "rate": price_cpu + price_mem,
        "tags": json.dumps(tags),
        "reputation": rng.randint(70, 100),
        "registered_at": registered,
        "last_seen": now_ms - rng.randint(0, 20_000),
    }
    roll = rng.random()
    status = "offline" if roll < 0.1 else "draining" if roll < 0.17 else "active"
    return _Node(node_id, fields, status, cpu, memory_gb * 1024, tags)


def _job_fields(job_id: str, task: Task, created: int, max_attempts: int) -> dict[str, Any]:
    req = task.requirements
    return {
        "id": job_id,
        "creator": CREATORS[ord(job_id[-1]) % len(CREATORS)],
        "type": task.type,
        "tag": task.tag,
        "task": _TASK_JSON.get(id(task)) or json.dumps(task.wire(), separators=(",", ":")),
        "cpu": req.cpu,
        "mem_mb": req.memory_mb,
        "gpu": int(req.gpu),
        "timeout_s": req.timeout,
        "max_attempts": max_attempts,
        "created_at": created,
        "updated_at": created,
        "attempts": 0,
        "gen": 0,
        "held": 0,
        "parent": "",
        "node": "",
        "agent": "",
        "error": "",
        "pending_reason": "",
    }


def _status_roll(rng: random.Random, recent: bool) -> str:
    roll = rng.random()
    if recent:
        # The newest jobs are where the live states are: the queue the console shows first.
        for status, upto in (("running", 0.25), ("assigned", 0.32), ("pending", 0.42),
                             ("failed", 0.5), ("cancelled", 0.53)):  # fmt: skip
            if roll < upto:
                return status
        return "completed"
    return "failed" if roll < 0.03 else "cancelled" if roll < 0.04 else "completed"


async def seed(
    store: Store,
    *,
    nodes: int = 36,
    jobs: int = 400,
    now_ms: int = FIXED_NOW_MS,
    seed_value: int = 5,
    label: str = "demo",
    lean: bool = False,
    with_triage: bool = True,
    batch: int = 1_000,
) -> SeedSummary:
    """Seed the store's pool with `nodes` nodes, `jobs` jobs, agents, time series, totals and
    ledger balances that sum to zero. Node capacity, node job sets, leases and pending queues
    agree with the jobs, so every operator action works on the result.

    `lean` (the benchmark's millions) keeps finished jobs older than the live window small:
    no per-job history list, and no task, result or logs, so every job hash stays in Redis's
    compact encoding and a million of them fit in about a gigabyte."""
    rng = random.Random(seed_value)
    keys = store.keys
    w = _Writer(store, batch)
    summary = SeedSummary(now_ms=now_ms)

    fleet = [_make_node(i, rng, now_ms, label=label) for i in range(nodes)]
    if with_triage and nodes >= 8:
        # A GPU-less, model-less corner: pending wine-classifier+gpu jobs that nothing can run.
        for member in fleet:
            member.tags = [t for t in member.tags if t != "model:wine-classifier+gpu"]
            member.fields["tags"] = json.dumps(member.tags)
    placeable = [n for n in fleet if n.status != "offline"]
    by_tag: dict[str, list[_Node]] = defaultdict(list)
    for member in placeable:
        for tag in member.tags:
            by_tag[tag].append(member)

    balances: dict[str, int] = defaultdict(int)
    totals = {"gross": 0, "node_earnings": 0, "platform_revenue": 0}
    status_members: dict[str, list[Any]] = defaultdict(list)
    all_members: list[Any] = []
    pending_tags: dict[str, list[Any]] = defaultdict(list)
    node_history: dict[str, list[Any]] = defaultdict(list)
    leases: list[Any] = []
    deadlines: list[Any] = []
    span_ms = max(3_600_000, jobs * 2_000)  # jobs spread back from now, newest densest
    recent_cutoff = max(40, jobs // 50)
    wine_gpu = next(t for t in TEMPLATES if t.model_id == "wine-classifier")
    wine_gpu = wine_gpu.model_copy(
        update={"requirements": wine_gpu.requirements.model_copy(update={"gpu": True})}
    )

    async def flush_members() -> None:
        for status, members in status_members.items():
            if members:
                await w.add_pairs("ZADD", keys.jobs_with_status(status), members)
        if all_members:
            await w.add_pairs("ZADD", keys.jobs_all, all_members)
        status_members.clear()
        all_members.clear()

    for j in range(jobs):
        age = int(span_ms * (j / max(1, jobs)) ** 2) + j * 7
        created = now_ms - 1_000 - age
        job_id = fake_cid(f"{label}-job", serial=j) if lean else fake_cid(f"{label}-job-{j}")
        recent = j < recent_cutoff
        task = TEMPLATES[rng.randrange(len(TEMPLATES))]
        status = _status_roll(rng, recent)
        if with_triage and j in (3, 11, 17):
            task, status = wine_gpu, "pending"
        f = _job_fields(job_id, task, created, 3)
        history: list[str] = [f"{created} submitted"]
        candidates = by_tag.get(task.tag, [])
        node: _Node | None = None
        if status in ("running", "assigned", "completed", "failed") and candidates:
            if status in ("completed", "failed"):
                node = candidates[rng.randrange(len(candidates))]
            else:
                for _ in range(8):  # a few random tries, like placement's bounded scan
                    pick = candidates[rng.randrange(len(candidates))]
                    if (
                        pick.status in ("active", "draining")
                        and pick.cpu - pick.cpu_used >= f["cpu"]
                        and pick.memory_mb - pick.mem_used >= f["mem_mb"]
                    ):
                        node = pick
                        break
        if with_triage and j == 2:
            # An offline node that still holds a running job: its agent vanished before a sweep.
            held_by_offline = [n for n in fleet if n.status == "offline" and task.tag in n.tags]
            if held_by_offline:
                node, status = held_by_offline[0], "running"
        if status in ("running", "assigned", "completed", "failed") and node is None:
            status = "pending"
        rate = 0
        entered = created
        if node is not None:
            rate = (
                f["cpu"] * int(node.fields["price_cpu"])
                + f["mem_mb"] * int(node.fields["price_mem"]) // 1024
            )
            assigned_at = created + rng.randint(5, 200)
            estimate = rate * f["timeout_s"]
            f.update(node=node.id, rate=rate, assigned_at=assigned_at, estimated_cost=estimate)
            node_history[node.id] += [assigned_at, job_id]
            history.append(f"{assigned_at} assigned to {node.id}")
            entered = assigned_at
            agent_id = f"agent-{node.id[-6:]}-{rng.randint(1, 2)}"
            if status in ("running", "completed", "failed"):
                started = assigned_at + rng.randint(20, 900)
                f.update(agent=agent_id, attempts=1, started_at=started, fence=1)
                history.append(f"{started} claimed by {agent_id} (attempt 1)")
                entered = started
            creator_account = f"creator:{f['creator']}"
            if not lean:  # the journal the balances come from, as the job scripts write it
                await _post(w, f"hold:{job_id}:0", "hold", job_id,
                            [(creator_account, "escrow", estimate, "hold")])  # fmt: skip
            if status in ("running", "assigned"):
                node.cpu_used += f["cpu"]
                node.mem_used += f["mem_mb"]
                node.running += 1
                node.jobs.append(job_id)
                f["held"] = estimate
                balances[f"creator:{f['creator']}"] -= estimate
                balances["escrow"] += estimate
            if status == "running":
                overdue = with_triage and j in (1, 6)
                started = int(f["started_at"])
                if overdue:
                    started = now_ms - (f["timeout_s"] + 40) * 1000
                    f["started_at"] = started
                expires = max(now_ms + 5_000, started + 30_000)
                f.update(lease_token=f"1-{job_id[-8:]}", lease_expires_at=expires)
                leases += [expires, job_id]
                deadlines += [started + 1000 * f["timeout_s"], job_id]
            if status == "assigned":
                await w.add("RPUSH", keys.node_queue(node.id, task.type), job_id)
            if status == "completed":
                duration = rng.randint(40, 4_000)
                cost = min(estimate, rate * max(duration, 1_000) // 1_000)
                node_part, platform_part = split(cost)
                finished = int(f["started_at"]) + duration
                output = {"ok": True, "job": j}
                f.update(
                    finished_at=finished, duration_ms=duration, actual_cost=cost,
                    node_share=node_part, platform_share=platform_part, status="completed",
                    result=json.dumps(output),
                    result_cid=fake_cid(f"{label}-result", 0x55, serial=j),
                    logs=json.dumps(["starting", f"processed job {j}", "done"]),
                    completed_token=f"1-{job_id[-8:]}",
                )  # fmt: skip
                node.earnings += node_part
                node.completed += 1
                totals["gross"] += cost
                totals["node_earnings"] += node_part
                totals["platform_revenue"] += platform_part
                balances[f"creator:{f['creator']}"] -= cost
                balances[f"node:{node.id}"] += node_part
                balances["platform"] += platform_part
                if not lean:
                    await _post(w, f"settle:{job_id}:0", "settle", job_id, [
                        ("escrow", f"node:{node.id}", node_part, "earn"),
                        ("escrow", "platform", platform_part, "fee"),
                        ("escrow", creator_account, estimate - cost, "release"),
                    ])  # fmt: skip
                history.append(f"{finished} completed in {duration} ms, cost {cost} µUSD")
                entered = finished
            if status == "failed":
                finished = int(f["started_at"]) + rng.randint(100, 30_000)
                err = ERRORS[rng.randrange(len(ERRORS))]
                f.update(finished_at=finished, error=err,
                         logs=json.dumps(["starting", err]))  # fmt: skip
                node.failed += 1
                history.append(f"{finished} failed: {err}")
                if not lean:  # seeded failures ended unbilled: the hold goes back
                    await _post(w, f"release:{job_id}:0", "release", job_id,
                                [("escrow", creator_account, estimate, "release")])  # fmt: skip
                entered = finished
        if status == "pending":
            reason = (
                f"No registered node can run it (needs {task.tag})."
                if not candidates
                else f"No capable node has {f['cpu']} CPU and {f['mem_mb']} MB of memory free "
                "right now."
            )
            f.update(pending_reason=reason, estimated_cost=f.get("estimated_cost") or 0)
            pending_tags[task.tag] += [created, job_id]
        if status == "cancelled":
            finished = created + rng.randint(1_000, 60_000)
            f.update(finished_at=finished, error="Cancelled by ops@console.")
            history.append(f"{finished} cancelled: Cancelled by ops@console.")
            entered = finished
        f.setdefault("estimated_cost", 0)
        if lean and not recent and status in ("completed", "failed", "cancelled"):
            for name in ("task", "result", "logs"):
                f.pop(name, None)
        f["status"] = status
        f["updated_at"] = entered
        flat: list[Any] = []
        for name, value in f.items():
            flat += [name, value]
        await w.add("HSET", keys.job(job_id), *flat)
        if not lean:
            await w.add("RPUSH", keys.job_history(job_id), *history)
        status_members[status] += [entered, job_id]
        all_members += [created, job_id]
        if len(summary.jobs_by_status[status]) < 50:
            summary.jobs_by_status[status].append(job_id)
        if len(all_members) >= 2_000:
            await flush_members()
    await flush_members()

    # Nodes, now that their load and earnings are known.
    for node in fleet:
        status = node.status
        if status == "active" and (node.cpu_used >= node.cpu or node.mem_used >= node.memory_mb):
            status = "busy"
        f = dict(node.fields)
        f.update(status=status, cpu_used=node.cpu_used, mem_used=node.mem_used,
                 running=node.running, earnings=node.earnings, jobs_completed=node.completed,
                 jobs_failed=node.failed)  # fmt: skip
        flat = []
        for name, value in f.items():
            flat += [name, value]
        await w.add("HSET", keys.node(node.id), *flat)
        registered = f["registered_at"]
        await w.add("ZADD", keys.nodes_all, registered, node.id)
        await w.add("ZADD", keys.nodes_with_status(status), registered, node.id)
        if status != "offline":
            await w.add("ZADD", keys.nodes_seen, f["last_seen"], node.id)
        await w.add("SET", keys.node_by_address(f["address"]), node.id)
        for tag in node.tags:
            await w.add("SADD", keys.capable(tag), node.id)
            await w.add("ZADD", keys.capable_by_memory(tag), f["memory_mb"], node.id)
            if status == "active":
                await w.add("ZADD", keys.sched_index(tag), _score(f["reputation"], f["rate"]),
                            node.id)  # fmt: skip
        if node.jobs:
            await w.add("SADD", keys.node_jobs(node.id), *node.jobs)
        members = node_history.pop(node.id, [])
        await w.add_pairs("ZADD", keys.node_history(node.id), members)
        summary.nodes.append(node.id)
        summary.node_status[node.id] = status

    for tag, members in pending_tags.items():
        await w.add("SADD", keys.pending_tags, tag)
        await w.add_pairs("ZADD", keys.pending(tag), members)
    await w.add_pairs("ZADD", keys.leases, leases)
    await w.add_pairs("ZADD", keys.deadlines, deadlines)

    await _seed_agents(w, fleet, summary, rng, now_ms, with_triage)
    await _seed_series(w, store, rng, now_ms, fleet)
    await w.add("HSET", keys.totals, *[x for kv in totals.items() for x in kv])
    balances["world"] = -sum(v for k, v in balances.items() if k != "world")
    await w.add_pairs("HSET", keys.balances, [x for kv in balances.items() for x in kv])
    await w.flush()
    await w.wait()
    return summary


async def _seed_agents(
    w: _Writer,
    fleet: list[_Node],
    summary: SeedSummary,
    rng: random.Random,
    now_ms: int,
    with_triage: bool,
) -> None:
    """One or two agents per live node (capped, like a real swarm's roster); working agents
    hold their node's running jobs."""
    keys = w.store.keys
    specialities = (
        ["code-execution"], ["model-inference"], ["data-processing"],
        ["code-execution", "data-processing"],
    )  # fmt: skip
    count = 0
    for node in fleet:
        if node.status == "offline" or count >= 400:
            continue
        for n in (1, 2):
            agent_id = f"agent-{node.id[-6:]}-{n}"
            running = node.jobs[n - 1] if len(node.jobs) >= n else ""
            state = "working" if running else "idle"
            if with_triage and count in (2, 9):
                state, running = "stalled", ""
            beat = now_ms - (
                rng.randint(90_000, 300_000) if state == "stalled" else rng.randint(0, 4_000)
            )
            started = now_ms - rng.randint(600_000, 7 * 86_400_000)
            fields = {
                "id": agent_id, "node": node.id,
                "specialisations": json.dumps(specialities[count % len(specialities)]),
                "models": json.dumps(json.loads(node.fields["models"])),
                "state": state, "current_job": running,
                "jobs_done": rng.randint(0, 900), "jobs_failed": rng.randint(0, 12),
                "last_heartbeat": beat, "started_at": started,
            }  # fmt: skip
            await w.add("HSET", keys.agent(agent_id), *[x for kv in fields.items() for x in kv])
            await w.add("ZADD", keys.agents_all, started, agent_id)
            if state != "stalled":
                await w.add("ZADD", keys.agents_seen, beat, agent_id)
            series = []
            base = now_ms // STATS_BUCKET_MS
            for b in range(SERIES_BUCKETS):
                if rng.random() < 0.6:
                    series += [base - b, rng.randint(1, 6)]
            if series:
                await w.add("HSET", keys.agent_series(agent_id), *series)
            summary.agents.append(agent_id)
            count += 1


async def _seed_series(
    w: _Writer, store: Store, rng: random.Random, now_ms: int, fleet: list[_Node]
) -> None:
    """Throughput and revenue per 10-second bucket over the last quarter hour, with a slow wave
    so a sparkline has a shape."""
    keys = store.keys
    base = now_ms // STATS_BUCKET_MS
    scale = max(1, len(fleet) // 4)
    completed, failed, revenue = [], [], []
    for b in range(SERIES_BUCKETS):
        wave = 1.0 + 0.6 * ((b % 30) / 30)
        done = int(scale * wave * rng.uniform(0.6, 1.2))
        completed += [base - b, done]
        failed += [base - b, rng.randint(0, max(1, scale // 10))]
        revenue += [base - b, done * rng.randint(40_000, 90_000)]
    await w.add("HSET", keys.series("completed"), *completed)
    await w.add("HSET", keys.series("failed"), *failed)
    await w.add("HSET", keys.series("revenue"), *revenue)


async def drop_pool(store: Store) -> int:
    """Delete every key of the store's pool: screenshots and the bench seed private pools and
    leave nothing behind."""
    deleted = 0
    batch: list[bytes] = []
    async for key in store.redis.scan_iter(match=store.keys.every_key, count=5_000):
        batch.append(key)
        if len(batch) >= 5_000:
            deleted += await store.redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await store.redis.unlink(*batch)
    return int(deleted)


def main() -> None:
    """`LCN_REDIS_URL=… python -m core.devkit.seed POOL NODES JOBS [lean]`: the bench seeds in a
    separate process so the memory it measures is the console's alone. The URL comes in the
    environment, not the arguments: it may carry a password, and any local user can read a
    process's arguments."""
    import os
    import sys

    from core.config import Settings
    from core.store import connect

    url = os.environ["LCN_REDIS_URL"]
    pool, nodes, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lean = len(sys.argv) > 4 and sys.argv[4] == "lean"

    async def run() -> None:
        store = await connect(Settings(redis_url=url, pool=pool))
        try:
            await seed(store, nodes=nodes, jobs=jobs, lean=lean, label="bench")
        finally:
            await store.close()

    asyncio.run(run())


if __name__ == "__main__":
    main()
