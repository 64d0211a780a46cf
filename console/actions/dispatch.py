"""The one way a command that writes runs. The registry's flags are enforced here and nowhere
else: `writes` is refused in read-only mode (before any dialog) and to an SSH key below the
operation's role, `destructive` asks first with
"No" focused, naming the target as it stands now. Then the core action runs, and its outcome or
its refusal is one sentence.

Order, as an operator meets it: the selection (a job or node command with nothing selected
says so), the read-only refusal, the operation's own dialog (an id, a node), the confirmation,
the action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import NoPermissionError, RedisError
from textual.screen import Screen

from console import commands, selection
from console.actions import bulk, jobs, money, nodes
from console.actions.operation import Confirmation, Operation
from console.poller import one_line
from console.screens.confirm import ConfirmScreen
from core.access.roles import Actor, Operator, Role, refusal
from core.errors import LcnError

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store

NO_PERMISSION = ("NOPERM", "can't run this command", "no permissions to run")

OPERATIONS: dict[str, Operation] = {
    **jobs.OPERATIONS,
    **bulk.OPERATIONS,
    **nodes.OPERATIONS,
    **money.OPERATIONS,
}


def command_of(name: str) -> commands.Command:
    """The registry's entry that runs operation `name` (its key, title and flags)."""
    command = commands.by_action("operate", (name,))
    if command is None:
        raise KeyError(f"No command runs the operation {name!r}.")
    return command


async def run(app: LcnConsole, name: str) -> None:
    """Run operation `name` for the operator, from its key, the footer or the palette."""
    command, operation = command_of(name), OPERATIONS[name]
    selected: str | None = None
    if operation.selects:
        selected, problem = selection.selected(app, operation.selects)
        if not selected:
            app.notify(problem, severity="warning", timeout=4)
            return
    if command.writes and (
        refused_read_only(app, command.title) or refused_role(app, command.title, operation)
    ):
        return
    target = await operation.choose(app, selected)
    if target is None:
        return
    if command.destructive:
        question = await operation.confirmation(app, target)
        if question is None or not await confirm(app, question):
            return
    outcome = await perform(app, command.title, lambda store: operation.run(app, store, target))
    if outcome:
        done = operation.done(target, outcome)
        app.notify(done.message, title=done.title)


def read_only_reason(read_only: bool, operator: Operator) -> str | None:
    """Why a console starts read-only: `--read-only`, or an SSH key with the viewer role (the
    same refusals either way)."""
    if read_only:
        return "the console was started with --read-only."
    if isinstance(operator, Actor) and operator.role == Role.VIEWER:
        return f"key {operator.name} has the viewer role."
    return None


def refused_read_only(app: LcnConsole, title: str) -> bool:
    if app.read_only_reason:
        app.notify(
            f"{title} is disabled: {app.read_only_reason}",
            title="Read-only",
            severity="warning",
        )
        return True
    return False


def refused_role(app: LcnConsole, title: str, operation: Operation) -> bool:
    """An SSH key below the operation's role is told so here, before any dialog; the core
    refuses it anyway (core.actions.permitted)."""
    actor = app.operator
    if not isinstance(actor, Actor):
        return False
    problem = refusal(actor, actor.role, operation.core_action)
    if problem is not None:
        app.notify(str(problem), title=f"{title} refused", severity="warning")
        return True
    return False


async def confirm(app: LcnConsole, question: Confirmation) -> bool:
    screen: Screen[Any] = ConfirmScreen(question.question, question.detail, question.yes)
    return bool(await app.push_screen_wait(screen))


async def perform(
    app: LcnConsole, title: str, work: Callable[[Store], Awaitable[str]]
) -> str | None:
    """Run one core action and show its outcome; refusals are one sentence."""
    try:
        store = await app.poller.store()
        outcome = await work(store)
    except LcnError as exc:
        app.notify(str(exc), title=f"{title} refused", severity="error")
        return None
    except (RedisError, OSError) as exc:
        if isinstance(exc, NoPermissionError) or any(p in str(exc) for p in NO_PERMISSION):
            # Inside a script Redis reports it as a script error, worded by version.
            app.read_only_reason = "the Redis user has no write permission."
            app.notify(
                f"{title} refused by Redis: this user cannot write, so the console is "
                "now read-only.",
                severity="error",
            )
            app.update_status()
            return None
        app.notify(f"Redis is unreachable ({one_line(exc)}); nothing was done.",
                   title=f"{title} failed", severity="error")  # fmt: skip
        return None
    except Exception as exc:
        app.notify(one_line(exc), title=f"{title} failed", severity="error")
        return None
    app.poll_now()
    return outcome
