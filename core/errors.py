"""Errors the core raises for refusals a caller can act on.

Every message is one sentence that says what was wrong, so the CLI, the HTTP gateway and the
console can show it as it is.
"""


class LcnError(Exception):
    """A refusal: the request was understood and turned down, and nothing was written."""

    code = "refused"


class NotFound(LcnError):
    code = "not_found"


class Conflict(LcnError):
    """The request is valid but the current state does not allow it (stale lease, wrong state)."""

    code = "conflict"


class InvalidInput(LcnError):
    code = "invalid"


class Corrupt(LcnError):
    """Stored data does not match its own content id (a blob edited or damaged at rest)."""

    code = "corrupt"


class AuthError(LcnError):
    code = "unauthorized"


class SetupError(LcnError):
    """The environment is not usable (no redis-server binary, unwritable directory)."""

    code = "setup"
