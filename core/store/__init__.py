"""Redis access: connection, key names and the Lua scripts that make every state change."""

from core.store.connection import Store, connect
from core.store.keys import Keys

__all__ = ["Keys", "Store", "connect"]
