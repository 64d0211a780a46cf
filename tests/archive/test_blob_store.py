"""The blob table as core/blobs uses it, on SQLite and on a real PostgreSQL: a large input goes
through submit → claim → complete → get → archive by its CID, stored once however often it is
submitted, and refused when its bytes were altered at rest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update

from core import jobs
from core.archive import Archive, schema
from core.config import Settings
from core.errors import Corrupt
from core.ids import bytes_cid
from core.store import Store, connect
from tests.archived import archive_job
from tests.helpers import register_node
from tests.jobfactory import job_body

BIG_INPUT = {"values": list(range(3000))}
BIG_OUTPUT = {"sorted": list(range(3000, 0, -1))}


@pytest.fixture
async def pstore(archive_settings: Settings, settings: Settings) -> AsyncIterator[Store]:
    """The test's Redis pool with the parametrized archive (SQLite, then PostgreSQL)."""
    both = settings.model_copy(update={"archive_url": archive_settings.archive_url})
    if both.archive_url is None:
        both = both.model_copy(update={"data_dir": archive_settings.data_dir})
    s = await connect(both)
    yield s
    await s.close()


async def test_a_large_input_round_trips_and_is_stored_once(
    pstore: Store, archive: Archive, archive_settings: Settings, settings: Settings
) -> None:
    node = await register_node(pstore)
    first = (await jobs.submit(pstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    again = (await jobs.submit(pstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    cid = bytes_cid(json.dumps(BIG_INPUT, separators=(",", ":")).encode())
    claim = await jobs.claim(pstore, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == first and claim.task.input == BIG_INPUT
    await jobs.complete(pstore, first, claim.token, duration_ms=5, output=BIG_OUTPUT)
    live = await jobs.get_job(pstore, first)
    assert live.task.input == BIG_INPUT and live.result == BIG_OUTPUT
    async with archive.engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(schema.blobs))).scalar()
    assert rows == 2  # the input once (two jobs), and the result
    assert (await archive.get_blobs([cid, "bafkreimissing"])).keys() == {cid}

    where = settings.model_copy(
        update={"archive_url": archive_settings.archive_url, "data_dir": archive_settings.data_dir}
    )
    await archive_job(pstore, where, first)
    archived = await jobs.get_job(pstore, first)
    assert archived.archived and archived.task.input == BIG_INPUT
    assert archived.result == BIG_OUTPUT

    async with archive.engine.begin() as conn:
        await conn.execute(update(schema.blobs).where(schema.blobs.c.cid == cid).values(data=b"[]"))
    with pytest.raises(Corrupt, match="do not match its CID"):
        await jobs.get_job(pstore, again)
