"""One command that writes, described in steps the dispatcher runs in order: what it acts on,
the dialog that completes its target, the question a destructive one asks, the core action,
and the sentence that reports the outcome. The steps hold no checks of their own: the
read-only refusal and the confirmation are the dispatcher's, from the registry's flags."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from console.selection import Kind

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store


@dataclass(frozen=True)
class Target:
    """What an operation acts on: a job, node, payout or purchase id, and what was chosen for
    it in a dialog (reassign: the node to move the job to, "" for the scheduler's best)."""

    id: str
    choice: str = ""


@dataclass(frozen=True)
class Confirmation:
    """The question before a destructive operation: it names the target with its current state
    (and the amount, for money)."""

    question: str
    detail: str = ""
    yes: str = "Yes"


@dataclass(frozen=True)
class Outcome:
    """The notification after an operation did what it does."""

    message: str
    title: str


class Operation(ABC):
    # The job or node it acts on is the selected one; None: `choose` asks for its target.
    selects: ClassVar[Kind | None] = None
    # The core action it runs, by its audit name: the role it needs (core.access.roles.NEEDS)
    # is checked by the dispatcher first, and again by the core.
    core_action: str = ""

    async def choose(self, app: LcnConsole, selected: str | None) -> Target | None:
        """The dialog after the read-only check that completes the target; None when the
        operator cancelled it or it cannot be completed (after saying why)."""
        return Target(selected) if selected else None

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        """For a destructive command: the question, read from the target as it stands now;
        None after saying why it cannot be read."""
        raise NotImplementedError(f"{type(self).__name__} is destructive but asks nothing")

    @abstractmethod
    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        """The core action (audited there); its outcome in a word or two."""

    @abstractmethod
    def done(self, target: Target, outcome: str) -> Outcome: ...
