"""Roles are enforced in the core's action layer: an SSH key's actor below an action's role is
refused and audited under the key's name, whatever the UI did; a revoked key can do nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import access, actions, bulk, events, registry
from core.access import Actor, Forbidden, Role
from core.payments import actions as payments_actions
from core.store import Store
from tests.access.keyfiles import key_pair
from tests.helpers import register_node


async def grant(store: Store, tmp_path: Path, name: str, role: str) -> Actor:
    _, public = key_pair(tmp_path, name)
    await actions.grant_key(store, "admin@test", name, str(public), role)
    (key,) = [k for k in await access.list_keys(store) if k.name == name]
    return key.actor()


async def test_a_viewer_is_refused_every_writing_action_and_the_refusal_names_the_key(
    store: Store, tmp_path: Path
) -> None:
    viewer = await grant(store, tmp_path, "vera", "viewer")
    node = await register_node(store)
    with pytest.raises(Forbidden, match=r"vera has the viewer role; node\.drain needs the"):
        await actions.node_action(store, viewer, "drain", node.node_id)
    assert (await registry.get_node(store, node.node_id)).status == node.status
    for refused in (
        actions.cancel_job(store, viewer, "j"),
        actions.retry_job(store, viewer, "j"),
        actions.reassign_job(store, viewer, "j", None),
        bulk.cancel_all(store, viewer, bulk.JobFilter(status="pending")),
        payments_actions.pay_out_node(store, None, viewer, node.node_id),
        actions.revoke_key(store, viewer, "vera"),
    ):
        with pytest.raises(Forbidden):
            await refused
    audit = [a for a in await events.recent_audit(store, 10) if a["operator"] != "admin@test"]
    assert len(audit) == 7
    assert {a["operator"] for a in audit} == {"key:vera"}
    assert {a["outcome"] for a in audit} == {"refused"}
    assert "bulk: pending jobs" in {a["target"] for a in audit}
    assert [k.name for k in await access.list_keys(store)] == ["vera"]  # not revoked


async def test_an_operator_acts_on_nodes_but_not_on_money_or_access(
    store: Store, tmp_path: Path
) -> None:
    operator = await grant(store, tmp_path, "otto", "operator")
    node = await register_node(store)
    assert await actions.node_action(store, operator, "drain", node.node_id) == "draining"
    with pytest.raises(Forbidden, match=r"payout\.run needs the admin role"):
        await payments_actions.pay_out_node(store, None, operator, node.node_id)
    with pytest.raises(Forbidden, match=r"access\.add needs the admin role"):
        await actions.grant_key(store, operator, "x", str(tmp_path / "none.pub"), "admin")
    ok, *refusals = [a for a in reversed(await events.recent_audit(store, 10))
                     if a["operator"] == "key:otto"]  # fmt: skip
    assert (ok["operator"], ok["action"], ok["outcome"]) == ("key:otto", "node.drain", "ok")
    assert [r["outcome"] for r in refusals] == ["refused", "refused"]
    # An operator's offline is held in the key's name.
    await actions.node_action(store, operator, "offline", node.node_id)
    assert (await registry.get_node(store, node.node_id)).status == "offline"


async def test_the_role_is_read_at_each_action_so_a_revoked_key_can_do_nothing(
    store: Store, tmp_path: Path
) -> None:
    admin = await grant(store, tmp_path, "ada", "admin")
    node = await register_node(store)
    await actions.node_action(store, admin, "drain", node.node_id)
    await actions.revoke_key(store, "root@test", "ada")
    with pytest.raises(Forbidden, match="Key ada is no longer granted access"):
        await actions.node_action(store, admin, "undrain", node.node_id)
    assert (await registry.get_node(store, node.node_id)).status == "draining"
    # A new key under the same name is not the old one.
    again = await grant(store, tmp_path, "ada", "admin")
    assert again.fingerprint != admin.fingerprint
    with pytest.raises(Forbidden):
        await actions.node_action(store, admin, "undrain", node.node_id)


async def test_a_local_operator_stays_admin_equivalent(store: Store, tmp_path: Path) -> None:
    node = await register_node(store)
    assert await actions.node_action(store, "someone@host", "drain", node.node_id) == "draining"
    assert (await events.recent_audit(store, 1))[0]["operator"] == "someone@host"


async def test_a_local_operator_who_took_a_lower_role_is_held_to_it(store: Store) -> None:
    """`lcn console --role operator` and `lcn serve web --role operator`: no key, no grant to
    read, the role the process took; audited under the plain name."""
    web = access.roles.capped("web@host", Role.OPERATOR)
    node = await register_node(store)
    assert await actions.node_action(store, web, "drain", node.node_id) == "draining"
    with pytest.raises(Forbidden, match=r"^web@host acts with the operator role; payout\.run"):
        await payments_actions.pay_out_node(store, None, web, node.node_id)
    viewer = access.roles.capped("web@host", Role.VIEWER)
    with pytest.raises(Forbidden, match=r"viewer role; node\.undrain needs the operator role"):
        await actions.node_action(store, viewer, "undrain", node.node_id)
    audit = await events.recent_audit(store, 10)
    assert {a["operator"] for a in audit} == {"web@host"}
    assert [a["outcome"] for a in audit].count("refused") == 2


def test_an_unknown_action_needs_admin() -> None:
    assert access.need_of("job.cancel") == Role.OPERATOR
    assert access.need_of("something.new") == Role.ADMIN
    assert Role.VIEWER < Role.OPERATOR < Role.ADMIN
