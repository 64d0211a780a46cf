"""Where the archive is: a SQLite file in the data dir unless LCN_ARCHIVE_URL says otherwise;
stream ids packed into the integer keys and back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.archive.engine import SQLITE_FILE, archive_url
from core.archive.stream_ids import MILLIS_BITS, SEQ_BITS, pack_stream_id, unpack_stream_id
from core.config import Settings


def test_default_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    url = archive_url(Settings(data_dir=tmp_path))
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == str(tmp_path / SQLITE_FILE)


@pytest.mark.parametrize(
    ("given_url", "driver"),
    [
        ("postgresql://lcn:secret@db.example:5432/lcn", "postgresql+psycopg"),
        ("postgres://lcn@db.example/lcn", "postgresql+psycopg"),
        ("postgresql+psycopg://lcn@db.example/lcn", "postgresql+psycopg"),
        ("sqlite:////var/lib/lcn/archive.sqlite3", "sqlite+aiosqlite"),
    ],
)
def test_archive_url_gets_its_async_driver(given_url: str, driver: str) -> None:
    url = archive_url(Settings(archive_url=given_url))
    assert url.drivername == driver
    assert "secret" not in url.render_as_string(hide_password=True)


def test_archive_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCN_ARCHIVE_URL", "postgresql://lcn@db.example/lcn")
    assert Settings().archive_url == "postgresql://lcn@db.example/lcn"
    monkeypatch.setenv("LCN_ARCHIVE_URL", "")
    assert Settings().archive_url is None


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="sqlite:// or postgresql://"):
        Settings(archive_url="mysql://lcn@db.example/lcn")


@given(st.integers(0, (1 << MILLIS_BITS) - 2), st.integers(0, (1 << SEQ_BITS) - 1))
def test_stream_ids_pack_in_time_order_and_back(millis: int, seq: int) -> None:
    entry_id = f"{millis}-{seq}"
    key = pack_stream_id(entry_id)
    assert unpack_stream_id(key) == entry_id
    assert 0 <= key < 1 << 63
    assert pack_stream_id(f"{millis}-{seq}") < pack_stream_id(f"{millis + 1}-0")


def test_a_sequence_too_large_to_pack_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        pack_stream_id(f"1-{1 << SEQ_BITS}")
    with pytest.raises(ValueError, match="too large"):
        pack_stream_id(f"{1 << MILLIS_BITS}-0")
