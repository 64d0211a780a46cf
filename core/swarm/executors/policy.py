"""How a node sandboxes its jobs, decided once when the node starts.

* `bubblewrap`: every job runs in its own namespaces (jail.py); the default, and the only
  mode in which a node takes code-execution jobs unless its operator says otherwise.
* `unavailable`: this host cannot build the sandbox (no user namespaces, no bwrap); the node
  does not take code-execution jobs and says why at start and in `lcn node list`.
* `off`: the operator passed `--unsafe-no-sandbox`; jobs run as the node's own user.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Literal

from core.swarm.executors.jail import probe

SandboxMode = Literal["bubblewrap", "unavailable", "off"]


@dataclass(frozen=True)
class SandboxPolicy:
    isolate: bool = True
    allow_network: bool = False
    slirp4netns: str | None = None

    @property
    def mode(self) -> SandboxMode:
        return "bubblewrap" if self.isolate else "off"


@dataclass(frozen=True)
class NodeSandbox:
    """What a starting node found: the policy its agents use, and what to tell the operator."""

    policy: SandboxPolicy
    mode: SandboxMode
    reason: str | None  # why the sandbox is not there, in one sentence

    @property
    def takes_code(self) -> bool:
        return self.mode != "unavailable"


class NetworkUnavailable(RuntimeError):
    """--allow-network was asked for but cannot be given safely on this host."""


def node_sandbox(*, allow_network: bool = False, unsafe_no_sandbox: bool = False) -> NodeSandbox:
    """Probe the host once and decide; raises NetworkUnavailable for an impossible ask."""
    if unsafe_no_sandbox:
        if allow_network:
            raise NetworkUnavailable(
                "--allow-network needs the sandbox; it cannot go with --unsafe-no-sandbox."
            )
        return NodeSandbox(SandboxPolicy(isolate=False), "off", "--unsafe-no-sandbox was given")
    reason = probe()
    slirp = shutil.which("slirp4netns")
    if allow_network and slirp is None:
        raise NetworkUnavailable(
            "--allow-network needs slirp4netns (Debian package slirp4netns), which gives each "
            "job its own network stack without the host's loopback; it is not installed."
        )
    policy = SandboxPolicy(isolate=True, allow_network=allow_network, slirp4netns=slirp)
    if reason is not None:
        return NodeSandbox(SandboxPolicy(isolate=False), "unavailable", reason)
    return NodeSandbox(policy, "bubblewrap", None)
