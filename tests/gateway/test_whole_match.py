"""Identifiers are matched whole: `$` in a Python regex also matches before a final newline, so
"0x…\\n" once passed as an address (the challenge endpoints answered 500, and an operator-key
submission billed a separate ledger account `creator:0x…\\n`)."""

from __future__ import annotations

import httpx
import pytest

from core import apikeys, ledger, registry
from core.errors import InvalidInput
from core.gateway import sessions
from core.ids import check_cid, record_cid
from core.store import Store
from tests.gateway.test_api import SUBMIT_BODY, error_of
from tests.jobfactory import CREATOR

ADDRESS = "0x" + "5b" * 20


@pytest.mark.parametrize(
    "path", ["/lit-compute/nodes/challenge", "/lit-compute/nodes/sessions/challenge"]
)
async def test_challenges_refuse_an_address_with_a_trailing_newline(
    client: httpx.AsyncClient, path: str
) -> None:
    for address in (ADDRESS + "\n", ADDRESS + "\r\n", "\n" + ADDRESS, ADDRESS + " "):
        reply = await client.post(path, json={"pkpAddress": address})
        assert reply.status_code == 422, (address, reply.text)
        assert error_of(reply)["message"] == (
            "body field pkpAddress: pkpAddress must be 0x followed by 40 hex digits."
        )
    assert (await client.post(path, json={"pkpAddress": ADDRESS})).status_code == 200


async def test_an_operator_key_cannot_bill_a_creator_with_a_trailing_newline(
    client: httpx.AsyncClient, store: Store, api_key: str
) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    body = {**SUBMIT_BODY, "creatorPKP": CREATOR + "\n"}
    reply = await client.post("/lit-compute/jobs/submit", json=body, headers=auth)
    assert reply.status_code == 422
    assert "creatorPKP must be 0x followed by 40 hex digits" in error_of(reply)["message"]
    assert not [a for a in await ledger.balances(store) if a.startswith("creator:")]
    assert (
        await client.post("/lit-compute/jobs/submit", json=SUBMIT_BODY, headers=auth)
    ).is_success


async def test_the_core_matches_whole_strings(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await registry.issue_challenge(store, ADDRESS + "\n", 60)
    with pytest.raises(InvalidInput):
        await sessions.issue_challenge(store, ADDRESS + "\n", 60)
    with pytest.raises(InvalidInput):
        await apikeys.create(store, "bound", creator=ADDRESS + "\n")
    with pytest.raises(InvalidInput):
        await apikeys.create(store, "name\n")
    with pytest.raises(InvalidInput, match="not a ledger account"):
        await ledger.post(store, "world\n", "platform", 1, "idem-1", "test")
    with pytest.raises(InvalidInput, match="not a valid CID"):
        check_cid(record_cid({"a": 1}) + "\n")
