from __future__ import annotations

import dag_cbor
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from core.errors import InvalidInput
from core.ids import bytes_cid, check_cid, record_cid, text_record_cid

json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=300), st.text(max_size=70_000), max_size=6))
def test_text_record_cids_equal_dag_cbor_ones(record: dict[str, str]) -> None:
    assert text_record_cid(record) == record_cid(record)


@pytest.mark.parametrize("size", [0, 23, 24, 255, 256, 65535, 65536])
def test_text_record_cids_at_every_length_head(size: int) -> None:
    record = {"k" * min(size, 300): "é" * size, "salt": "x" * size, "": ""}
    assert text_record_cid(record) == record_cid(record)


@given(json_like)
def test_record_cids_equal_multiformats(record: object) -> None:
    expected = CID("base32", 1, "dag-cbor", multihash.digest(dag_cbor.encode(record), "sha2-256"))
    assert record_cid(record) == str(expected)
    assert record_cid(record).startswith("bafyrei")


@given(st.binary(max_size=256))
def test_bytes_cids_equal_multiformats(data: bytes) -> None:
    assert bytes_cid(data) == str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))
    assert check_cid(bytes_cid(data)) == bytes_cid(data)


def test_check_cid_refuses_non_cids_and_v0() -> None:
    with pytest.raises(InvalidInput, match="not a valid CID"):
        check_cid("bafyrei-not-base32!")
    with pytest.raises(InvalidInput, match="not a CIDv1"):
        check_cid("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR")
