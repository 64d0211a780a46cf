"""The one exception executors raise, so callers can tell a bad job from a broken node."""


class ExecutionError(Exception):
    """A task that cannot run as given (bad input, unknown model/op/language).

    Raised before anything runs, so the job can be rejected rather than retried elsewhere.
    The message is one clear sentence meant for the person who submitted the job.
    """
