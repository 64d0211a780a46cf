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


class RecordArchived(LcnError):
    """A script needs a money record that the archiver moved out of Redis; the Store restores
    it from the archive and runs the script again (core/store/restore.py), so this reaches a
    caller only when the archive cannot be read."""

    code = "archived"

    def __init__(self, name: str) -> None:
        # 'purchase:<id>|': the record's key after the pool's prefix, ended by a bar because the
        # server appends where in the script the refusal was raised
        name = name.partition("|")[0].strip()
        self.name = name
        kind, _, record_id = name.partition(":")
        super().__init__(
            f"The {kind} {record_id} is in the archive, which cannot be read now; try again "
            "once it can."
        )


class Corrupt(LcnError):
    """Stored data does not match its own content id (a blob edited or damaged at rest)."""

    code = "corrupt"


class AuthError(LcnError):
    code = "unauthorized"


class SetupError(LcnError):
    """The environment is not usable (no redis-server binary, unwritable directory)."""

    code = "setup"
