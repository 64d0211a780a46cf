"""Which address a request comes from, for rate limits and failed-authentication counts.

The TCP peer, unless the peer is one of the reverse proxies the operator named
(LCN_GATEWAY_TRUSTED_PROXIES): then X-Forwarded-For is read from the right, skipping trusted
proxies, and the first address a trusted proxy vouches for is the client. Anything to the left
of it was written by the client and is ignored, so nobody picks their own rate-limit bucket.
uvicorn's own proxy-header handling is turned off (core.gateway.server), because it trusts
loopback by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address

from starlette.requests import HTTPConnection

from core.gateway.config import IPNetwork

IPAddress = IPv4Address | IPv6Address


def client_address(request: HTTPConnection, trusted: Sequence[IPNetwork]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _is_trusted(_parse(peer), trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # the proxy we trust passed on something that is not an address
        peer = str(address)
        if not _is_trusted(address, trusted):
            break
    return peer


def _parse(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, `[v6]:port` or `v4:port`."""
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress | None, trusted: Sequence[IPNetwork]) -> bool:
    # `in` across IP versions compares raw integers, so check the version first.
    return address is not None and any(
        address.version == network.version and address in network for network in trusted
    )
