"""A synthetic fleet for benchmarks and big seeded states, imported in batches (one script
call per batch) through the same indexes that registration maintains."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal

from core.ids import record_cid
from core.models.node import Capabilities, Location, Pricing
from core.registry import node_fields
from core.store import Store, calls

REGIONS = [
    ("us-east-1", 39.0, -77.5),
    ("us-west-2", 45.6, -121.2),
    ("eu-west-1", 53.3, -6.3),
    ("eu-central-1", 50.1, 8.7),
    ("ap-northeast-1", 35.7, 139.7),
    ("ap-southeast-1", 1.35, 103.8),
    ("ap-south-1", 19.1, 72.9),
    ("sa-east-1", -23.5, -46.6),
    ("af-south-1", -33.9, 18.4),
    ("me-central-1", 25.2, 55.3),
    ("ap-southeast-2", -33.9, 151.2),
    ("ca-central-1", 45.5, -73.6),
]


def synthetic_node(i: int, rng: random.Random, *, cpu: int, memory_gb: int) -> dict[str, object]:
    region, lat, lon = REGIONS[i % len(REGIONS)]
    address = "0x" + hashlib.sha256(f"bench-node-{i}".encode()).hexdigest()[:40]
    public_key = "0x04" + hashlib.sha512(f"bench-key-{i}".encode()).hexdigest()
    fields = node_fields(
        Capabilities(
            cpu=cpu, memory=Decimal(memory_gb), gpu=i % 5 == 0, runtimes=["javascript", "python"]
        ),
        Location(region=region, lat=lat + rng.uniform(-3, 3), lon=lon + rng.uniform(-3, 3)),
        Pricing(cpu_per_second=Decimal(rng.randint(500, 2000)) / 1_000_000),
        address,
        public_key,
    )
    fields["id"] = record_cid({"benchNode": i})
    fields["reputation"] = rng.randint(60, 100)
    return fields


async def import_fleet(
    store: Store,
    count: int,
    *,
    seed: int = 7,
    cpu: int = 1024,
    memory_gb: int = 65536,
    batch: int = 500,
) -> list[str]:
    """Create `count` nodes; returns their ids. Large capacity by default so a benchmark
    measures placement, not a fleet running out of room."""
    rng = random.Random(seed)
    ids: list[str] = []
    for start in range(0, count, batch):
        nodes = [
            synthetic_node(i, rng, cpu=cpu, memory_gb=memory_gb)
            for i in range(start, min(count, start + batch))
        ]
        await calls.import_nodes(store, nodes)
        ids.extend(str(n["id"]) for n in nodes)
    return ids


async def drop_pool(store: Store) -> int:
    """Delete every key of the store's pool (benchmarks clean up after themselves)."""
    deleted = 0
    batch: list[bytes] = []
    async for key in store.redis.scan_iter(match=store.keys.every_key, count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            deleted += await store.redis.unlink(*batch)
            batch = []
    if batch:
        deleted += await store.redis.unlink(*batch)
    return int(deleted)
