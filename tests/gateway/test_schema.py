"""A property-based run over the gateway's OpenAPI schema (schemathesis) against a real
uvicorn: generated requests, valid and invalid, never get a 5xx and every response matches the
schema (status code, content type, headers, body). Bounded so the whole run stays short."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
from collections.abc import Iterator

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core import apikeys
from core.config import Settings
from core.gateway import GatewaySettings, create_app, sessions
from core.identity import new_key
from core.store import Keys, connect
from tests.gateway.live import serving
from tests.helpers import register_node

MAX_EXAMPLES = 20


# Fixed credentials, so that schemathesis knows them when it loads the schema (and can leave
# them out on purpose in negative cases); the fixture makes them valid in Redis.
API_KEY = "lcn_schemathesis-" + "k" * 32
SESSION = "lcs_schemathesis-" + "s" * 32
NODE_KEY = new_key()
CONFIG = schemathesis.Config.from_dict(
    {"auth": {"openapi": {"apiKey": {"bearer": API_KEY}, "nodeSession": {"bearer": SESSION}}}}
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
def live(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    settings_ = Settings(
        redis_url=redis_url,
        pool="schemathesis",
        data_dir=tmp_path_factory.mktemp("data"),
        # Webhooks on, so generated deliveries meet the signature check (and get 400).
        stripe_webhook_secret="whsec_schemathesis",
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop
        pool.submit(asyncio.run, _credentials(settings_)).result()
    limits = GatewaySettings(rate_limit=10**6, node_rate_limit=10**6)
    with serving(create_app(settings_, limits)) as url:
        yield url


@pytest.fixture
def session_again(live: str, redis_url: str) -> str:
    """Each operation starts signed in (the sign-out operation ends the session)."""
    client = redis.Redis.from_url(redis_url)
    digest = hashlib.sha256(SESSION.encode()).hexdigest()
    prefix = Keys("schemathesis").prefix
    node_id = client.get(prefix + "node-by-address:" + NODE_KEY.address.lower())
    client.set(prefix + "session:" + digest, node_id or b"", ex=3600)
    client.close()
    return live


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_no_schema_violations(
    case: schemathesis.Case, session_again: str
) -> None:
    # Every check but "schema-valid data must be accepted": ids must be real CIDs, addresses
    # real hex, a code job needs code, nonces must have been issued — rules the schema cannot
    # express, which are refused with a 4xx and one sentence (what this run does check).
    case.call_and_validate(base_url=session_again, excluded_checks=[positive_data_acceptance])
