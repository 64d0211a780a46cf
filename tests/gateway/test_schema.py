"""A property-based run over the gateway's OpenAPI schema (schemathesis) against a real gateway
process: generated requests, valid and invalid, never get a 5xx, every response matches the
schema (status code, content type, headers, body), every refusal is the one-sentence error
body, and the process is alive after each one. Bounded so the whole run stays short.
(test_fuzz.py adds hostile bodies the schema would never generate.)"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import sys
from collections.abc import Iterator

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core import apikeys
from core.config import Settings
from core.gateway import create_app, sessions
from core.identity import new_key
from core.store import Keys, connect
from tests.gateway.live import GatewayProcess, gateway_process
from tests.helpers import register_node
from tests.redis_servers import free_port

MAX_EXAMPLES = 20


# Fixed credentials, so that schemathesis knows them when it loads the schema (and can leave
# them out on purpose in negative cases); the fixture makes them valid in Redis.
API_KEY = "lcn_schemathesis-" + "k" * 32
SESSION = "lcs_schemathesis-" + "s" * 32
METRICS_TOKEN = "metrics-schemathesis-" + "m" * 16
NODE_KEY = new_key()
CONFIG = schemathesis.Config.from_dict(
    {
        "auth": {
            "openapi": {
                "apiKey": {"bearer": API_KEY},
                "nodeSession": {"bearer": SESSION},
                "metricsToken": {"bearer": METRICS_TOKEN},
            }
        }
    }
)
# The schema is the app's own (no server or Redis needed to build it); requests go to the live
# server. (schemathesis' lazy `from_fixture` loader does not work with pytest 9.)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(pool="schema")).openapi(), config=CONFIG
)


async def _credentials(settings: Settings) -> None:
    """Make API_KEY an operator key and SESSION a session of a registered node."""
    store = await connect(settings)
    try:
        digest = apikeys.digest_of(API_KEY)
        await store.script(
            "create_api_key", [apikeys.index_key(store)], "schemathesis", digest, digest[:12], "", 0
        )
        node = await register_node(store, NODE_KEY)
        await store.redis.set(sessions.session_key(store, SESSION), node.node_id, ex=3600)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[GatewayProcess]:
    settings_ = Settings(
        redis_url=redis_url, pool="schemathesis", data_dir=tmp_path_factory.mktemp("data")
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop
        pool.submit(asyncio.run, _credentials(settings_)).result()
    env = {
        # Negative cases send bad credentials on purpose: no failure budget here
        # (test_auth_limits shows that one).
        "LCN_GATEWAY_RATE": "1000000",
        "LCN_GATEWAY_NODE_RATE": "1000000",
        "LCN_GATEWAY_AUTH_FAILURES": "1000000",
        "LCN_METRICS_TOKEN": METRICS_TOKEN,
        # Webhooks on, so generated deliveries meet the signature check (and get 400).
        "STRIPE_WEBHOOK_SECRET": "whsec_schemathesis",
    }
    command = [sys.executable, "-m", "core.gateway"]
    with gateway_process(command, settings_, free_port(), env=env) as gateway:
        yield gateway


@pytest.fixture
def session_again(live: GatewayProcess, redis_url: str) -> GatewayProcess:
    """Each operation starts signed in (the sign-out operation ends the session)."""
    client = redis.Redis.from_url(redis_url)
    digest = hashlib.sha256(SESSION.encode()).hexdigest()
    prefix = Keys("schemathesis").prefix
    node_id = client.get(prefix + "node-by-address:" + NODE_KEY.address.lower())
    client.set(prefix + "session:" + digest, node_id or b"", ex=3600)
    client.close()
    return live


def refusals_are_one_sentence(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Every refusal is `{"error": {"code": …, "message": …}}`, its message one sentence."""
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    message = body["error"]["message"]
    assert message.endswith((".", "?", "!")) and "\n" not in message, message
    assert "Traceback" not in response.text


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_no_schema_violations(
    case: schemathesis.Case, session_again: GatewayProcess
) -> None:
    # Every check but "schema-valid data must be accepted": ids must be real CIDs, addresses
    # real hex, a code job needs code, nonces must have been issued — rules the schema cannot
    # express, which are refused with a 4xx and one sentence (what this run does check).
    case.call_and_validate(
        base_url=session_again.url,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[refusals_are_one_sentence],
    )
    assert session_again.alive(), session_again.errors()
