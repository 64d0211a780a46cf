"""The orchestrator's recorder: it stores what the console polls, compressed and versioned, once
per period per pool however many orchestrators run, prunes by its own retention, sweeps a large
fleet's map over several recordings, and an unreachable archive never stops the tick."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.archive import Archive, Recording
from core.config import Settings
from core.devkit import seed
from core.reads import recording
from core.reads.snapshot import ViewRequest, poll
from core.store import Store
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from core.swarm.recorder import RecorderDuty

NOW = seed.FIXED_NOW_MS


def recording_orchestrator(store: Store, settings: Settings) -> Orchestrator:
    """An orchestrator whose only periodic duty due now is recording (no sweep, no archiver,
    no ledger check: they would change the seeded pool under the test)."""
    quiet = OrchestratorConfig(ledger_check_every_s=1e9, sweep_every_s=1e9)
    return Orchestrator(store, quiet, recorder=RecorderDuty(settings))


@pytest.fixture
async def archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


@pytest.fixture
async def seeded(store: Store) -> Store:
    await seed.seed(store, nodes=36, jobs=200)
    return store


async def test_a_tick_records_what_the_console_polls(
    seeded: Store, settings: Settings, archive: Archive
) -> None:
    orchestrator = recording_orchestrator(seeded, settings)
    report = await orchestrator.tick()
    assert report.extra["recorded"] > 0
    (stored,) = await archive.list_recordings(seeded.pool)
    assert stored.keyframe is None  # the first is a keyframe
    shown = recording.unpack(stored.snapshot)
    live = await poll(seeded, ViewRequest(now_ms=stored.at))
    assert shown.counts == live.counts
    assert shown.nodes is not None and len(shown.nodes.rows) == 36
    assert shown.jobs is not None and len(shown.jobs.rows) == min(recording.ROWS, 200)
    assert shown.map is not None and sum(sum(c) for c in shown.map.cells.values()) == 36
    assert shown.triage is not None and shown.triage.items  # the seed leaves some
    # The next tick within the period records nothing more.
    assert "recorded" not in (await orchestrator.tick()).extra
    assert orchestrator.recorder is not None
    await orchestrator.recorder.close()


async def test_only_one_orchestrator_records_a_pool_per_period(
    seeded: Store, settings: Settings, archive: Archive
) -> None:
    first, second = (recording_orchestrator(seeded, settings) for _ in range(2))
    for orchestrator in (first, second):
        await orchestrator.tick()
        assert orchestrator.recorder is not None
        await orchestrator.recorder.close()
    assert len(await archive.recording_times(seeded.pool)) == 1
    assert "recorded" not in (await second.tick()).extra


async def test_the_orchestrator_records_unless_told_not_to(
    store: Store, settings: Settings
) -> None:
    on = Orchestrator.from_settings(store, settings)
    assert on.recorder is not None and on.recorder.every_s == 5.0
    assert on.recorder.retention_s == 7 * 86_400
    off = Orchestrator.from_settings(store, settings.model_copy(update={"record_every_s": 0}))
    assert off.recorder is None


async def test_old_recordings_are_pruned_by_their_own_retention(
    seeded: Store, settings: Settings, archive: Archive
) -> None:
    week = settings.record_retention_s * 1000
    old = [Recording(pool=seeded.pool, at=NOW - week - n, snapshot=b"{}") for n in (1, 2)]
    kept = Recording(pool=seeded.pool, at=NOW - week + 1, snapshot=b"{}")
    elsewhere = Recording(pool="another", at=NOW - week - 5, snapshot=b"{}")
    await archive.put_recordings([*old, kept, elsewhere])
    duty = RecorderDuty(settings)
    try:
        run = await duty.run(seeded, now_ms=NOW)
    finally:
        await duty.close()
    assert run.pruned == 2
    assert await archive.recording_times(seeded.pool) == [kept.at, NOW]
    assert await archive.recording_times("another") == [elsewhere.at]


async def test_a_fleet_larger_than_a_chunk_is_swept_over_recordings(
    seeded: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording, "MAP_CHUNK", 10)
    duty = RecorderDuty(settings)
    counted: list[int] = []
    for n in range(6):
        shown = await duty.snapshot(seeded, NOW + n)
        assert shown.map is not None and shown.map.cursor == 0 and shown.map.next_cursor == 0
        counted.append(sum(sum(c) for c in shown.map.cells.values()))
    # 36 nodes in chunks of 10: partial counts until the first sweep ends, then the whole.
    assert counted[:3] == [10, 20, 30]
    assert counted[3:] == [36, 36, 36]


async def test_an_unreachable_archive_does_not_stop_the_tick(
    seeded: Store, settings: Settings, tmp_path: Path
) -> None:
    nowhere = f"postgresql://lcn@/archive?host={tmp_path / 'no-server-here'}"
    orchestrator = recording_orchestrator(
        seeded, settings.model_copy(update={"archive_url": nowhere})
    )
    report = await orchestrator.tick()
    assert report.extra["recorded"] == 0
    assert await seeded.redis.get(seeded.keys.lock("recorder")) is not None  # not retried


def test_a_recording_reads_back_and_a_newer_or_damaged_one_is_refused() -> None:
    snapshot_json = b'{"v":2,"snapshot":{}}'
    with pytest.raises(recording.RecordingUnreadable, match="format 2"):
        recording.decode(snapshot_json)
    with pytest.raises(recording.RecordingUnreadable, match="damaged"):
        recording.decode(b'{"v":1,"snapshot":{"now_ms":"soon"}}')
    with pytest.raises(recording.RecordingUnreadable, match="damaged"):
        recording.decode(b"not json")


async def test_a_snapshot_survives_the_codec(seeded: Store) -> None:
    shown = await poll(seeded, recording.record_view(NOW))
    # Compared by content: pydantic's == also compares which fields were given explicitly, and
    # the triage reader leaves some to their defaults where the decoder names them all.
    assert recording.decode(recording.encode(shown)).model_dump() == shown.model_dump()


async def test_keyframes_then_deltas_each_read_with_its_keyframe(seeded: Store) -> None:
    packer = recording.Packer(keyframe_every=3)
    shots, packed = [], []
    for n in range(5):
        await seeded.redis.hset(seeded.keys.job(f"marker-{n}"), "status", "x")  # the pool moves
        shots.append(await poll(seeded, recording.record_view(NOW + n * 5_000)))
        packed.append(packer.pack(shots[-1], NOW + n * 5_000))
    assert [p.keyframe for p in packed] == [None, NOW, NOW, None, NOW + 15_000]
    keyframes = {NOW: packed[0].data, NOW + 15_000: packed[3].data}
    for shot, stored in zip(shots, packed, strict=True):
        keyframe = keyframes.get(stored.keyframe) if stored.keyframe is not None else None
        assert recording.unpack(stored.data, keyframe).model_dump() == shot.model_dump()
        assert stored.keyframe is None or len(stored.data) < len(keyframes[stored.keyframe]) / 3
    # A keyframe older than five minutes is not used, however few deltas it has.
    assert packer.pack(shots[0], NOW + 15_000 + recording.KEYFRAME_MAX_AGE_MS).keyframe is None
    with pytest.raises(recording.RecordingUnreadable, match="damaged"):
        recording.unpack(packed[1].data, packed[3].data)  # the wrong keyframe
    with pytest.raises(recording.RecordingUnreadable, match="damaged"):
        recording.unpack(b"not zstd")


async def test_pruning_a_keyframe_prunes_its_deltas(archive: Archive) -> None:
    frames = [
        Recording(pool="p", at=NOW, snapshot=b"k"),
        Recording(pool="p", at=NOW + 5, keyframe=NOW, snapshot=b"d"),
        Recording(pool="p", at=NOW + 10, keyframe=NOW, snapshot=b"d"),
        Recording(pool="p", at=NOW + 15, snapshot=b"k"),
    ]
    await archive.put_recordings(frames)
    assert await archive.prune_recordings("p", NOW + 7) == 3
    assert await archive.recording_times("p") == [NOW + 15]


async def test_after_a_failure_the_next_recording_is_a_keyframe(
    seeded: Store, settings: Settings, archive: Archive
) -> None:
    """A failed insert (the orchestrator then closes the duty) may have lost a keyframe: no
    later delta may point at it, so the next recording is a keyframe of its own."""
    duty = RecorderDuty(settings)
    try:
        for n in range(2):
            await duty.run(seeded, now_ms=NOW + n)
        await duty.close()  # what Orchestrator._record does when a run fails
        await duty.run(seeded, now_ms=NOW + 2)
    finally:
        await duty.close()
    stored = await archive.list_recordings(seeded.pool)
    assert [r.keyframe for r in stored] == [None, NOW, None]
    for found in stored:
        keyframe = next((r.snapshot for r in stored if r.at == found.keyframe), None)
        assert recording.unpack(found.snapshot, keyframe).now_ms == found.at
