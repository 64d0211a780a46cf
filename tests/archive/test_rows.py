"""Archive bodies are compressed with a dictionary of typical rows: far smaller than plain
zstd, rows written before it (plain frames) still read, and a dictionary file that is not the
one rows were written with is refused rather than misread."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard
from sqlalchemy import select, update

from core.archive import Archive, rows, schema
from core.errors import SetupError
from tests.archive.samples import job_postings, noop_job


async def _body(archive: Archive, table: str) -> bytes:
    column = getattr(schema, table).c.body
    async with archive.engine.connect() as conn:
        return bytes((await conn.execute(select(column).limit(1))).scalar_one())


async def test_bodies_use_the_dictionary_and_are_smaller_than_plain_zstd(archive: Archive) -> None:
    job = noop_job(1, 1_796_000_000_000)
    await archive.put_jobs([job])
    await archive.put_postings(job_postings(1, 1_796_000_000_000))
    for table in ("jobs", "postings"):
        body = await _body(archive, table)
        assert body[:1] == rows.ROW_DICT_V1
        text = rows._decompress(body)
        plain = zstandard.ZstdCompressor(level=rows.ROW_LEVEL, write_checksum=False)
        assert len(body) < 0.8 * len(plain.compress(text.encode())), table
    assert await archive.get_job(job.id) == job


async def test_rows_written_before_the_dictionary_still_read(archive: Archive) -> None:
    job = noop_job(2, 1_796_000_000_000)
    await archive.put_jobs([job])
    text = rows._decompress(await _body(archive, "jobs"))
    old_frame = zstandard.ZstdCompressor(level=3, write_checksum=False).compress(text.encode())
    async with archive.engine.begin() as conn:
        await conn.execute(update(schema.jobs).values(body=old_frame))
    assert await _body(archive, "jobs") == old_frame
    assert await archive.get_job(job.id) == job


def test_a_changed_dictionary_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "row_dictionary_v1.jsonl"
    edited.write_bytes(rows._DICT_FILE.read_bytes() + b"\n")
    monkeypatch.setattr(rows, "_DICT_FILE", edited)
    rows._dictionary.cache_clear()
    try:
        with pytest.raises(SetupError, match="is not the dictionary archived rows were written"):
            rows._dictionary()
    finally:
        monkeypatch.undo()
        rows._dictionary.cache_clear()
