"""`connect()`: a node joins the network with its key and gets the link its agents work over,
the same way for `lcn node run` and the demo's fleet.

Over Redis it registers (or re-attaches) by challenge–response itself and talks to the pool
directly (`RedisLink`); given a gateway URL it does the same through the HTTP API, then signs
in for a session (`HttpLink`)."""

from __future__ import annotations

from core.errors import InvalidInput
from core.identity import NodeKey
from core.models.node import Node
from core.store import Store
from core.swarm.http_link import HttpLink
from core.swarm.link import NodeLink, RedisLink
from core.swarm.provider import register_key


async def connect(
    key: NodeKey,
    *,
    capabilities: dict[str, object],
    location: dict[str, object],
    pricing: dict[str, object] | None = None,
    gateway_url: str | None = None,
    store: Store | None = None,
    nonce_ttl_s: int = 120,
) -> tuple[Node, NodeLink]:
    """The registered node and its link: over the gateway at `gateway_url` when one is given,
    else straight through `store`. The caller closes the link (`await link.close()`)."""
    if gateway_url:
        http = HttpLink(gateway_url, key)
        try:
            node = await http.register(
                capabilities=capabilities, location=location, pricing=pricing
            )
            await http.sign_in()
        except BaseException:
            await http.close()
            raise
        return node, http
    if store is None:
        raise InvalidInput(
            "A node joins through a gateway URL or a Redis store; neither was given."
        )
    node = await register_key(
        store,
        key,
        capabilities=capabilities,
        location=location,
        pricing=pricing,
        nonce_ttl_s=nonce_ttl_s,
    )
    return node, RedisLink(store, node.node_id)
