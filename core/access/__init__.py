"""Console access by SSH key: roles, grants and the check every core action makes."""

from core.access.keys import SshKey, add, by_fingerprint, list_keys, read_key_file, revoke, role_now
from core.access.roles import (
    ROLE_NAMES,
    Actor,
    Forbidden,
    Operator,
    Role,
    audit_name,
    need_of,
    refusal,
    role_named,
)

__all__ = [
    "ROLE_NAMES",
    "Actor",
    "Forbidden",
    "Operator",
    "Role",
    "SshKey",
    "add",
    "audit_name",
    "by_fingerprint",
    "list_keys",
    "need_of",
    "read_key_file",
    "refusal",
    "revoke",
    "role_named",
    "role_now",
]
