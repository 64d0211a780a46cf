"""The README's HTTP API examples against a real uvicorn server: the curl block itself, run by
bash (where curl and jq exist), and the same steps made by a Python client over TCP."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from core.config import Settings
from core.identity import new_key
from core.store import Store
from tests.gateway.test_api import REGISTER_BODY, SUBMIT_BODY

README = Path(__file__).resolve().parents[2] / "README.md"
HELLO = 'console.log("Hello from Lit Compute!");'


def readme_curl_block() -> str:
    text = README.read_text()
    section = text.split("## HTTP API", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's HTTP API section has no sh block"
    return match.group(1)


def json_values(text: str) -> list[Any]:
    """Every JSON object or array printed, in order (curl prints no newline after a body)."""
    decoder = json.JSONDecoder()
    found, i = [], 0
    while True:
        starts = [p for p in (text.find("{", i), text.find("[", i)) if p >= 0]
        if not starts:
            return found
        value, i = decoder.raw_decode(text, min(starts))
        found.append(value)


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq on PATH"
)
def test_readme_curl_block_runs_as_written(
    live_url: str, settings: Settings, tmp_path: Path
) -> None:
    block = readme_curl_block()
    lines = [line for line in block.splitlines() if not line.startswith("lcn gateway")]
    script = "set -euo pipefail\n" + "\n".join(
        f"GW={live_url}" if line.startswith("GW=") else line for line in lines
    )
    env = {
        **os.environ,
        "LCN_REDIS_URL": str(settings.redis_url),
        "LCN_POOL": settings.pool,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    health, node, nodes, submitted, job, public = json_values(done.stdout)
    assert health["status"] == "ok"
    assert node["nodeId"].startswith("bafyrei")
    assert (node["status"], node["reputation"]) == ("active", 100)
    assert [n["nodeId"] for n in nodes] == [node["nodeId"]]
    assert submitted["status"] == "assigned"
    assert submitted["assignedNodeId"] == node["nodeId"]
    assert job["jobId"] == submitted["jobId"]
    assert job["task"]["code"] == HELLO
    assert public["jobId"] == job["jobId"] and public["status"] == job["status"]
    assert "task" not in public and "logs" not in public


async def test_readme_flow_from_a_python_client(live_url: str, store: Store, api_key: str) -> None:
    """What a curl user does, over real TCP: challenge, sign with eth-account, register, list,
    submit the example job, read it back."""
    key = new_key()
    async with httpx.AsyncClient(base_url=live_url) as client:
        health = await client.get("/lit-compute/health")
        assert health.json()["status"] == "ok"
        challenge = (
            await client.post("/lit-compute/nodes/challenge", json={"pkpAddress": key.address})
        ).json()
        signed = Account.sign_message(
            encode_defunct(text=challenge["message"]), private_key=key.private_key
        )
        registered = await client.post(
            "/lit-compute/nodes/register",
            json={
                "pkpAddress": key.address,
                "publicKey": key.public_key,
                **REGISTER_BODY,
                "nonce": challenge["nonce"],
                "signature": "0x" + bytes(signed.signature).hex(),
            },
        )
        assert registered.status_code == 201, registered.text
        node = registered.json()
        listed = await client.get("/lit-compute/nodes")
        assert [n["nodeId"] for n in listed.json()] == [node["nodeId"]]
        submitted = await client.post(
            "/lit-compute/jobs/submit",
            json=SUBMIT_BODY,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        assert submitted.status_code == 200, submitted.text
        result = submitted.json()
        assert (result["status"], result["assignedNodeId"]) == ("assigned", node["nodeId"])
        job = await client.get(
            f"/lit-compute/jobs/{result['jobId']}", headers={"Authorization": f"Bearer {api_key}"}
        )
        assert job.json()["task"]["code"] == HELLO
        assert job.json()["estimatedCost"] == result["estimatedCost"]
