"""The HTTP gateway: the network's REST API for submitters and nodes (`lcn gateway`)."""

from core.gateway.app import create_app
from core.gateway.config import GatewaySettings

__all__ = ["GatewaySettings", "create_app"]
