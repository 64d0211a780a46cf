"""Large inputs, code and results leave the job's Redis record for the archive's blob table, by
CID: submit → claim (over Redis and over HTTP) → complete → get → archive read them back whole;
the same value is stored once; a blob altered at rest is refused; small values stay inline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from core import apikeys, blobs, jobs
from core.archive import Archive, schema
from core.config import Settings
from core.errors import Conflict, Corrupt, InvalidInput
from core.gateway.app import create_app
from core.gateway.config import GatewaySettings
from core.identity import new_key
from core.ids import bytes_cid
from core.models.node import Node
from core.models.records.fields import decode_hash
from core.payments.credit import CreditPolicy
from core.reads.batch import read
from core.reads.detail import job_detail_read
from core.store import Store, calls, connect
from core.swarm.http_link import HttpLink
from tests.archived import archive_job
from tests.gateway.test_api import REGISTER_BODY
from tests.helpers import register_node, shared_sqlite_archive
from tests.jobfactory import job_body

BIG_INPUT = {"rows": [f"r{i:05d}" + "x" * 58 for i in range(1000)]}  # 64 KB of JSON
BIG_OUTPUT = {"stdout": "y" * 20_000}
BIG_CODE = "// padding\n" * 600 + 'console.log("big");'


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@pytest.fixture
def bsettings(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return shared_sqlite_archive(settings, tmp_path, monkeypatch)


@pytest.fixture
async def bstore(bsettings: Settings) -> AsyncIterator[Store]:
    s = await connect(bsettings)
    yield s
    await s.close()


async def _hash(store: Store, job_id: str) -> dict[str, str]:
    return decode_hash(await store.redis.hgetall(store.keys.job(job_id)))


async def _blob_count(settings: Settings) -> int:
    async with await Archive.open(settings) as archive, archive.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(schema.blobs))).scalar())


async def _run(store: Store, node: Node, job_id: str, output: Any) -> Any:
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    await jobs.complete(store, job_id, claim.token, duration_ms=5, output=output, logs=["ok"])
    return claim


async def test_a_large_input_and_result_round_trip_through_redis_and_the_archive(
    bstore: Store, bsettings: Settings
) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    held = await _hash(bstore, job_id)
    assert held["input_cid"] == bytes_cid(_compact(BIG_INPUT))
    assert "input" not in json.loads(held["task"]) and len(held["task"]) < 512

    claim = await _run(bstore, node, job_id, BIG_OUTPUT)
    assert claim.task.input == BIG_INPUT and claim.task.code == job_body().task.code
    done = await _hash(bstore, job_id)
    assert done["result"] == "" and done["result_cid"] == bytes_cid(
        json.dumps(BIG_OUTPUT, separators=(",", ":"), sort_keys=True).encode()
    )
    assert sum(len(v) for v in done.values()) < 2048  # the record stays small

    live = await jobs.get_job(bstore, job_id)
    assert live.task.input == BIG_INPUT and live.result == BIG_OUTPUT
    listed = await jobs.get_jobs(bstore, [job_id])
    assert listed[0].task.input == BIG_INPUT and listed[0].result == BIG_OUTPUT

    await archive_job(bstore, bsettings, job_id)
    archived = await jobs.get_job(bstore, job_id)
    assert archived.archived
    assert archived.model_dump(exclude={"archived"}) == live.model_dump(exclude={"archived"})
    assert await _blob_count(bsettings) == 2  # the input and the result, nothing else


async def test_large_code_is_kept_by_cid_and_given_back_whole(bstore: Store) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(code=BIG_CODE), max_attempts=3)).job_id
    held = await _hash(bstore, job_id)
    assert held["code_cid"] == bytes_cid(BIG_CODE.encode()) and "input_cid" not in held
    claim = await _run(bstore, node, job_id, {"stdout": "big"})
    assert claim.task.code == BIG_CODE
    assert (await jobs.get_job(bstore, job_id)).task.code == BIG_CODE


async def test_the_same_input_twice_is_stored_once(bstore: Store, bsettings: Settings) -> None:
    first = await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)
    second = await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)
    assert first.job_id != second.job_id
    a, b = await _hash(bstore, first.job_id), await _hash(bstore, second.job_id)
    assert a["input_cid"] == b["input_cid"]
    assert await _blob_count(bsettings) == 1


async def test_a_refused_submission_leaves_nothing_in_the_archive(
    bstore: Store, bsettings: Settings
) -> None:
    """Jobs are created with their task inline and only accepted ones move it to the blob table:
    a creator who cannot pay cannot fill the archive with refused submissions."""
    await register_node(bstore)
    broke = CreditPolicy(payments_on=True)
    for n in range(5):
        with pytest.raises(InvalidInput):
            await jobs.submit(
                bstore, job_body(input={**BIG_INPUT, "n": n}), max_attempts=3, credit=broke
            )
    refused = await jobs.submit_many(
        bstore,
        [job_body(input={**BIG_INPUT, "n": 9}), job_body(code=BIG_CODE)],
        max_attempts=3,
        credit=broke,
    )
    assert all(isinstance(r, InvalidInput) for r in refused)
    assert await _blob_count(bsettings) == 0
    accepted = await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)
    held = await _hash(bstore, accepted.job_id)
    assert held["input_cid"] == bytes_cid(_compact(BIG_INPUT))
    assert "input" not in json.loads(held["task"])
    assert await _blob_count(bsettings) == 1
    assert (await jobs.get_job(bstore, accepted.job_id)).task.input == BIG_INPUT


async def test_a_report_with_a_stale_token_leaves_nothing_in_the_archive(
    bstore: Store, bsettings: Settings
) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(), max_attempts=3)).job_id
    claim = await jobs.claim(bstore, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    for n in range(3):  # made-up tokens, each with another large result
        with pytest.raises(Conflict):
            await jobs.complete(
                bstore, job_id, f"1-{n:016x}", duration_ms=5, output={**BIG_OUTPUT, "n": n}
            )
    assert await _blob_count(bsettings) == 0
    first = await jobs.complete(bstore, job_id, claim.token, duration_ms=5, output=BIG_OUTPUT)
    again = await jobs.complete(bstore, job_id, claim.token, duration_ms=5, output=BIG_OUTPUT)
    assert again["duplicate"] and not first["duplicate"]  # sent twice: its blob stored once
    other = {**BIG_OUTPUT, "n": "another large result, sent again under the finished lease"}
    assert (await jobs.complete(bstore, job_id, claim.token, duration_ms=5, output=other))[
        "duplicate"
    ]
    assert await _blob_count(bsettings) == 1
    assert (await _hash(bstore, job_id))["result"] == ""
    assert (await jobs.get_job(bstore, job_id)).result == BIG_OUTPUT


async def test_moving_a_task_to_its_blob_twice_or_for_a_gone_job_changes_nothing(
    bstore: Store,
) -> None:
    body = job_body(input=BIG_INPUT)
    fields = jobs.submit_fields(body, max_attempts=3)
    planned = jobs.plan_offloads(bstore, [fields])
    [(offload, _found)] = planned
    # Not submitted: there is no job to change, and no bytes are stored for it.
    await jobs.offload_tasks(bstore, planned, {fields["id"]})
    assert await bstore.redis.exists(bstore.keys.job(fields["id"])) == 0
    job_id = (await jobs.submit(bstore, body, max_attempts=3)).job_id
    held = await _hash(bstore, job_id)
    assert await calls.offload_task(bstore, [{**offload, "id": job_id}]) == 0  # moved already
    assert await _hash(bstore, job_id) == held


async def test_small_inputs_and_results_stay_inline(bstore: Store, bsettings: Settings) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(input={"n": 1}), max_attempts=3)).job_id
    await _run(bstore, node, job_id, {"stdout": "hi"})
    held = await _hash(bstore, job_id)
    assert json.loads(held["task"])["input"] == {"n": 1}
    assert "input_cid" not in held and "code_cid" not in held
    assert json.loads(held["result"]) == {"stdout": "hi"}
    # Nothing was stored, so the default archive was not even created for it.
    assert not (bsettings.data_dir / "archive.sqlite3").exists()
    assert not Path(str(bsettings.archive_url).removeprefix("sqlite:///")).exists()


async def test_a_blob_altered_at_rest_is_refused_in_one_sentence(
    bstore: Store, bsettings: Settings
) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    cid = (await _hash(bstore, job_id))["input_cid"]
    async with await Archive.open(bsettings) as archive, archive.engine.begin() as conn:
        tampered = _compact({"rows": ["evil"]})
        await conn.execute(
            update(schema.blobs).where(schema.blobs.c.cid == cid).values(data=tampered)
        )
    with pytest.raises(Corrupt, match=f"^The stored blob {cid} is refused: its bytes do not"):
        await jobs.get_job(bstore, job_id)
    # An agent is not handed it: the claim goes back as the node's fault, with the reason,
    # and after the last attempt the job fails for good saying why.
    for _ in range(3):
        assert await jobs.claim(bstore, node.node_id, "a", ["code-execution"], 30) is None
        await jobs.place_pending(bstore)
    failed = await _hash(bstore, job_id)
    assert failed["status"] == "failed" and "do not match its CID" in failed["error"]
    # Storing the bytes again under that CID is refused too (the table never takes a mismatch).
    with pytest.raises(Exception, match="do not match its CID"):
        await blobs.put(bstore, {cid: tampered})


async def test_a_missing_blob_is_not_found(bstore: Store, bsettings: Settings) -> None:
    job_id = (await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    async with await Archive.open(bsettings) as archive, archive.engine.begin() as conn:
        await conn.execute(schema.blobs.delete())
    with pytest.raises(Exception, match="is not in the archive"):
        await jobs.get_job(bstore, job_id)


async def test_an_http_node_receives_the_whole_input_and_sends_a_large_result(
    bstore: Store, bsettings: Settings
) -> None:
    limits = GatewaySettings(rate_limit=100_000, node_rate_limit=100_000)
    app: FastAPI = create_app(bsettings, limits, store=bstore)
    link = await HttpLink.connect(
        "http://gateway",
        new_key(),
        capabilities=REGISTER_BODY["capabilities"],
        location=REGISTER_BODY["location"],
        transport=httpx.ASGITransport(app),
    )
    try:
        job_id = (await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
        claim = await link.claim("agent-1", ["code-execution"], 30)
        assert claim is not None and claim.job_id == job_id and claim.task.input == BIG_INPUT
        reply = await link.complete(job_id, claim.token, duration_ms=5, output=BIG_OUTPUT, logs=[])
        assert reply["status"] == "completed"
    finally:
        await link.close()
    assert (await _hash(bstore, job_id))["result"] == ""
    _, secret = await apikeys.create(bstore, "tests")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://g") as c:
        got = await c.get(
            f"/lit-compute/jobs/{job_id}", headers={"Authorization": f"Bearer {secret}"}
        )
    assert got.status_code == 200, got.text
    assert got.json()["task"]["input"] == BIG_INPUT and got.json()["result"] == BIG_OUTPUT


async def test_the_poll_reads_the_reference_and_the_detail_reads_the_blob_once(
    bstore: Store,
) -> None:
    job_id = (await jobs.submit(bstore, job_body(input=BIG_INPUT), max_attempts=3)).job_id
    detail = await read(bstore, job_detail_read(bstore, job_id))
    assert detail is not None and detail.task is not None and "input" not in detail.task
    assert detail.blob_refs == [bytes_cid(_compact(BIG_INPUT))]
    whole = detail.with_blobs(await blobs.fetch(bstore, detail.blob_refs))
    assert whole.task is not None and whole.task["input"] == BIG_INPUT


async def test_with_no_archive_to_write_large_values_stay_inline_and_jobs_go_on(
    settings: Settings, tmp_path: Path
) -> None:
    """An archive that cannot be opened never stops jobs: the values are kept inline, as they
    were before the blob table, and read back the same."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    broken = settings.model_copy(update={"archive_url": f"sqlite:///{blocked}/archive.sqlite3"})
    store = await connect(broken)
    try:
        node = await register_node(store)
        job_id = (await jobs.submit(store, job_body(input=BIG_INPUT), max_attempts=3)).job_id
        held = await _hash(store, job_id)
        assert "input_cid" not in held and json.loads(held["task"])["input"] == BIG_INPUT
        claim = await _run(store, node, job_id, BIG_OUTPUT)
        assert claim.task.input == BIG_INPUT
        assert json.loads((await _hash(store, job_id))["result"]) == BIG_OUTPUT
        assert (await jobs.get_job(store, job_id)).result == BIG_OUTPUT
    finally:
        await store.close()


async def test_a_result_an_older_lcn_kept_in_redis_is_still_read(
    bstore: Store, bsettings: Settings
) -> None:
    node = await register_node(bstore)
    job_id = (await jobs.submit(bstore, job_body(), max_attempts=3)).job_id
    await _run(bstore, node, job_id, BIG_OUTPUT)
    cid = (await _hash(bstore, job_id))["result_cid"]
    async with await Archive.open(bsettings) as archive, archive.engine.begin() as conn:
        await conn.execute(schema.blobs.delete())
    encoded = json.dumps(BIG_OUTPUT, separators=(",", ":"), sort_keys=True).encode()
    await bstore.redis.set(bstore.keys.blob(cid), encoded)  # where results above 64 KB were
    assert (await jobs.get_job(bstore, job_id)).result == BIG_OUTPUT
    await bstore.redis.set(bstore.keys.blob(cid), b'{"stdout":"forged"}')
    with pytest.raises(Corrupt):
        await jobs.get_job(bstore, job_id)
