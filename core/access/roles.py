"""Who may do what. An actor is whoever calls a core action: the local operator (a plain name,
admin-equivalent, as before SSH access existed) or an SSH key with its granted role. Every
audited action needs a role (`NEEDS`, by its audit name); core.actions.audited refuses an actor
below it, so the console's own refusals are a courtesy, not the lock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from core.errors import InvalidInput, LcnError


class Role(IntEnum):
    """Ordered: each role may do everything the one below it may."""

    VIEWER = 0
    OPERATOR = 1
    ADMIN = 2

    @property
    def label(self) -> str:
        return self.name.lower()


ROLE_NAMES = tuple(role.label for role in Role)

# Audit name → the least role that may do it. An action missing here needs admin (fail closed).
NEEDS: dict[str, Role] = {
    **{f"job.{a}": Role.OPERATOR for a in ("reassign", "cancel", "retry")},
    **{f"node.{a}": Role.OPERATOR for a in ("drain", "undrain", "offline", "online")},
    **{
        a: Role.ADMIN
        for a in (
            "payout.run",
            "payout.retry",
            "payout.onboard",
            "payment.refund",
            "ledger.reverse",
            "access.add",
            "access.revoke",
        )
    },
}


class Forbidden(LcnError):
    code = "forbidden"


def role_named(name: str) -> Role:
    """The role called `name` (viewer, operator or admin), or a one-sentence refusal."""
    try:
        return Role[name.strip().upper()]
    except KeyError:
        raise InvalidInput(f"Unknown role {name!r}; use one of {', '.join(ROLE_NAMES)}.") from None


@dataclass(frozen=True)
class Actor:
    """An SSH key acting through its console session: audited as `key:NAME`. Its role is
    re-read from the grant at every action (core.access.keys.role_now), so a revoked or
    lowered key can do no more than its grant allows now."""

    name: str
    role: Role
    fingerprint: str  # "": a role a local lcn took for itself (`lcn console --role`), no key

    @property
    def audit_name(self) -> str:
        return f"key:{self.name}" if self.fingerprint else self.name


def capped(name: str, role: Role) -> Actor:
    """A local operator who gave up part of their power (`lcn console --role operator`, the
    browser sessions of `lcn serve web`). The process holds the Redis credentials, so this
    binds only the console it runs — which is the point: a demo's visitors get a console that
    cannot pay out, not a security boundary against the host's own user."""
    return Actor(name, role, "")


# What core actions take as their caller: a local operator's name or a key's actor.
Operator = str | Actor


def audit_name(operator: Operator) -> str:
    return operator.audit_name if isinstance(operator, Actor) else operator


def need_of(action: str) -> Role:
    return NEEDS.get(action, Role.ADMIN)


def refusal(actor: Actor, role: Role, action: str) -> Forbidden | None:
    """Why `actor`, now holding `role`, may not do `action`; None when it may."""
    need = need_of(action)
    if role >= need:
        return None
    who = f"Key {actor.name} has" if actor.fingerprint else f"{actor.name} acts with"
    return Forbidden(f"{who} the {role.label} role; {action} needs the {need.label} role.")
