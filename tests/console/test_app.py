"""The console under Textual's Pilot, against a seeded pool on the real test Redis: every
binding, confirmation with "No" focused, read-only refusal, filters, and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Button, Input, Static

from console import commands
from console.commands import COMMANDS
from console.screens.confirm import ConfirmScreen
from console.screens.detail import JobDetailScreen, NodeDetailScreen
from console.screens.help import HelpScreen
from console.screens.prompt import PromptScreen
from console.screens.reassign import ReassignScreen
from console.shots import screen_text, settle
from core import events, jobs, registry
from core.config import Settings
from core.devkit.seed import SeedSummary
from core.store import Store
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]


def select_row(app: RecordingConsole, pane: str, key: str) -> None:
    table = app.pane(pane).table
    table.move_cursor(row=table.get_row_index(key))


async def test_panes_maximise_and_status_line(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert app.shown_panes() == {"nodes", "jobs", "earnings", "swarm"}
        text = screen_text(app)
        assert "● live" in text and "nodes 36" in text and "every 30s" in text
        for number, name in enumerate(("nodes", "jobs", "earnings", "swarm", "triage"), 1):
            await press(pilot, app, str(number))
            assert app.state.pane == name
        assert app.shown_panes() == {"triage"}
        await press(pilot, app, "2", "z")
        assert app.shown_panes() == {"jobs"} and app.state.maximised
        await press(pilot, app, "z")
        assert len(app.shown_panes()) == 4


async def test_small_terminal_shows_one_pane(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.shown_panes() == {"nodes"}
        await press(pilot, app, "3")
        assert app.shown_panes() == {"earnings"}
        assert "payments are off" in screen_text(app)


async def test_refresh_pause_sort_and_paging(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console(refresh=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "plus")
        assert app.state.refresh == 0.5
        await press(pilot, app, "minus", "minus")
        assert app.state.refresh == 2.0
        await press(pilot, app, "p")
        assert app.state.paused and "PAUSED" in screen_text(app)
        polls = app.polls
        await pilot.pause(0.3)
        assert app.polls == polls
        await press(pilot, app, "p")
        assert not app.state.paused
        await press(pilot, app, "2")
        first = app.pane("jobs").table.selected_key
        await press(pilot, app, "right_square_bracket")
        view = app.state.tables["jobs"]
        assert view.offset == view.limit and app.pane("jobs").table.selected_key != first
        await press(pilot, app, "left_square_bracket")
        assert view.offset == 0
        await press(pilot, app, "s")
        assert view.sort_label == "oldest first"
        assert app.snapshot is not None and app.snapshot.jobs is not None
        created = [r.created_at or 0 for r in app.snapshot.jobs.rows]
        assert created == sorted(created)


async def test_filter_jobs_by_state_and_type(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "slash")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "failed"
        await press(pilot, app, "enter")
        rows = app.snapshot.jobs.rows if app.snapshot and app.snapshot.jobs else []
        assert rows and {r.status for r in rows} == {"failed"}
        assert "state:failed" in screen_text(app)
        await press(pilot, app, "slash")
        app.screen.query_one(Input).value = "state:completed type:model"
        await press(pilot, app, "enter")
        rows = app.snapshot.jobs.rows if app.snapshot and app.snapshot.jobs else []
        assert rows and {(r.status, r.job_type) for r in rows} == {("completed", "model-inference")}
        await press(pilot, app, "slash")
        app.screen.query_one(Input).value = "state:bogus"
        await press(pilot, app, "enter")
        assert app.said("Unknown state 'bogus'")
        await press(pilot, app, "escape")
        assert app.state.tables["jobs"].filter_label == ""


async def test_cancel_confirms_with_no_focused_then_audits(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    job_id = seeded.first("running")
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        select_row(app, "jobs", job_id)
        await press(pilot, app, "c")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused is app.screen.query_one("#no", Button)
        await press(pilot, app, "enter")  # Enter on the focused "No": nothing happens
        assert (await jobs.get_job(store, job_id)).status == "running"
        await press(pilot, app, "c")
        await press(pilot, app, "y")
        await settle(pilot, app)
        assert (await jobs.get_job(store, job_id)).status == "cancelled"
        assert app.said("is cancelled")
    audit = await events.recent_audit(store, 5)
    assert audit[0]["operator"] == "tester@lcn" and audit[0]["action"] == "job.cancel"
    assert audit[0]["outcome"] == "ok" and audit[0]["target"] == job_id


async def test_retry_and_refusals_are_shown(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    failed = seeded.first("failed")
    completed = seeded.first("completed")
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        select_row(app, "jobs", completed)
        await press(pilot, app, "t")
        assert app.said("Only failed or cancelled jobs can be retried")
        await press(pilot, app, "slash")
        app.screen.query_one(Input).value = "failed"
        await press(pilot, app, "enter")
        select_row(app, "jobs", failed)
        await press(pilot, app, "t")
        await settle(pilot, app)
        assert (await jobs.get_job(store, failed)).status in ("pending", "assigned")
        assert app.said("again")
    audit = await events.recent_audit(store, 5)
    assert [a["outcome"] for a in audit[:2]] == ["ok", "refused"]


async def test_reassign_to_a_chosen_node(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    job_id = seeded.first("running")
    before = (await jobs.get_job(store, job_id)).assigned_node_id
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        select_row(app, "jobs", job_id)
        await press(pilot, app, "r")
        assert isinstance(app.screen, ReassignScreen)
        await press(pilot, app, "down", "enter")  # the first node that has room
        await settle(pilot, app)
    job = await jobs.get_job(store, job_id)
    assert job.status == "assigned" and job.assigned_node_id not in (None, before)
    assert app.said("moved to node")


async def test_drain_undrain_offline_from_the_node_table(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        rows = app.snapshot.nodes.rows if app.snapshot and app.snapshot.nodes else []
        node_id = next(r.node_id for r in rows if r.status == "active")
        select_row(app, "nodes", node_id)
        await press(pilot, app, "d")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, app, "y")
        await settle(pilot, app)
        assert (await registry.get_node(store, node_id)).status == "draining"
        await press(pilot, app, "u")
        assert isinstance(app.screen, ConfirmScreen)  # names the node and its state
        assert "draining" in app.screen.question and node_id[-10:] in app.screen.question
        await press(pilot, app, "y")
        await settle(pilot, app)
        assert (await registry.get_node(store, node_id)).status in ("active", "busy")
        await press(pilot, app, "o", "y")
        await settle(pilot, app)
        assert (await registry.get_node(store, node_id)).status == "offline"
        await press(pilot, app, "o", "y")
        await settle(pilot, app)
        assert app.said("already offline")
        # The operator's offline holds through the node's heartbeats, until `O` lifts it.
        assert await registry.heartbeat(store, node_id) == "offline"
        await press(pilot, app, "O")
        await settle(pilot, app)
        assert (await registry.get_node(store, node_id)).status in ("active", "busy")
        assert app.said("is active") or app.said("is busy")


async def test_read_only_refuses_every_action_and_says_why(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert "READ-ONLY" in screen_text(app)
        await press(pilot, app, "2")
        select_row(app, "jobs", seeded.first("running"))
        for key in ("r", "c", "t"):
            await press(pilot, app, key)
            assert not isinstance(app.screen, ConfirmScreen | ReassignScreen)
        await press(pilot, app, "1")
        for key in ("d", "u", "o"):
            await press(pilot, app, key)
        refusals = [m for m, severity in app.notes if "--read-only" in m]
        assert len(refusals) == 6
    assert await events.recent_audit(store, 5) == []


async def test_open_detail_jump_help_and_palette(make_console: Make, seeded: SeedSummary) -> None:
    running = seeded.first("running")
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        select_row(app, "jobs", running)
        await press(pilot, app, "enter")
        assert isinstance(app.screen, JobDetailScreen)
        assert "held in escrow" in screen_text(app)
        on_detail = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Follow", "Input", "Back", "Cancel"} <= on_detail  # its own and the App's
        history = str(app.screen.query_one("#detail-history", Static).content)
        code = app.screen.query_one("#detail-code", Static).content
        assert "claimed by" in history and "Hello from Lit" in getattr(code, "code", "")
        await app.poll_once()  # a refresh bringing the same task does not highlight it anew
        await pilot.pause()
        assert app.screen.query_one("#detail-code", Static).content is code
        await press(pilot, app, "escape")
        await press(pilot, app, "g")
        app.screen.query_one(Input).value = seeded.nodes[3]
        await press(pilot, app, "enter")
        assert isinstance(app.screen, NodeDetailScreen)
        assert "Capacity" in screen_text(app)
        await press(pilot, app, "escape", "g")
        app.screen.query_one(Input).value = running[-10:]  # the tail the tables show
        await press(pilot, app, "enter")
        assert isinstance(app.screen, JobDetailScreen) and app.screen.record_id == running
        await press(pilot, app, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert all(c.title in help_text for c in COMMANDS)
        await press(pilot, app, "escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        dashboard = {c.title for c in commands.of_screen("dashboard") if c.action != "quit"}
        assert dashboard <= titles and "Follow" not in titles
        await press(pilot, app, "5", "enter")
        assert isinstance(app.screen, JobDetailScreen)  # the top triage item: a job
        await press(pilot, app, "escape")
        await pilot.press("q")
    assert app.return_code == 0


def test_every_command_has_a_binding() -> None:
    from console.app import LcnConsole

    keys = {b.action for b in LcnConsole.BINDINGS}  # type: ignore[union-attr]
    assert {c.action for c in commands.of_screen("dashboard")} == keys

    # A screen's own commands are bound by that screen, and only there.
    def bound(screen: type) -> set[str]:  # Textual merges BINDINGS along our classes
        ours = [cls for cls in screen.__mro__ if cls.__module__.startswith("console.")]
        return {b.action for cls in ours for b in cls.__dict__.get("BINDINGS", [])}

    assert bound(JobDetailScreen) == {"close", "toggle_follow", "toggle_input"}
    assert bound(NodeDetailScreen) == {c.action for c in commands.of_screen("detail")}
    assert {c.screen for c in COMMANDS} == {"dashboard", "detail", "job detail"}


async def test_a_redis_user_without_write_permission_turns_read_only(
    make_console: Make, seeded: SeedSummary, store: Store, settings: Settings
) -> None:
    user = f"reader-{settings.pool}"
    await store.redis.execute_command(
        "ACL", "SETUSER", user, "on", ">secret", "~*", "+@read", "+@scripting",
        "+@connection", "+info", "-@write",
    )  # fmt: skip
    url = settings.redis_url.replace("redis://", f"redis://{user}:secret@")  # type: ignore[union-attr]
    job_id = seeded.first("running")
    try:
        app = make_console(settings=settings.model_copy(update={"redis_url": url}))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert app.connected and app.read_only_reason is None
            await press(pilot, app, "2")
            select_row(app, "jobs", job_id)
            await press(pilot, app, "c", "y")
            await settle(pilot, app)
            assert app.read_only_reason and "no write permission" in app.read_only_reason
            assert "READ-ONLY" in screen_text(app)
            await press(pilot, app, "c")
            assert app.said("Cancel is disabled: the Redis user has no write permission.")
        assert (await jobs.get_job(store, job_id)).status == "running"
    finally:
        await store.redis.execute_command("ACL", "DELUSER", user)


async def test_money_actions_are_refused_when_payments_are_off(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "3", "z")
        rows = app.snapshot.earnings.rows if app.snapshot and app.snapshot.earnings else []
        select_row(app, "earnings", rows[0].node_id)
        await press(pilot, app, "dollar_sign")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.query_one("#no", Button).has_focus
        await press(pilot, app, "y")
        await settle(pilot, app)
        assert any("refused" not in m and "off" in m.lower() for m, s in app.notes if s == "error")
    audit = await events.recent_audit(store, 1)
    assert audit[0]["action"] == "payout.run" and audit[0]["outcome"] == "refused"


async def test_money_actions_in_read_only_mode(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "3")
        for key in ("dollar_sign", "R", "F"):
            await press(pilot, app, key)
            assert not isinstance(app.screen, ConfirmScreen | PromptScreen)
        assert len([m for m, _ in app.notes if "--read-only" in m]) == 3
    assert await events.recent_audit(store, 5) == []


async def test_pay_out_a_node_through_the_stripe_stand_in(
    make_console: Make, seeded: SeedSummary, store: Store, settings: Settings
) -> None:
    from core.devkit.demo_money import start_demo_money
    from core.payments import records

    money = await start_demo_money(store, settings)
    try:
        earned = {
            n: int(v or 0)
            for n, v in zip(
                seeded.nodes,
                await store.redis.hmget(store.keys.balances, *[f"node:{n}" for n in seeded.nodes]),
                strict=True,
            )
        }
        node_id = max(earned, key=lambda n: earned[n])
        await money.onboard([node_id])
        app = make_console(settings=money.settings)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot, app)
            await press(pilot, app, "3", "z")
            select_row(app, "earnings", node_id)
            await press(pilot, app, "dollar_sign", "y")
            await settle(pilot, app)
            assert app.said("payout(s)"), app.notes
        await money.stand_in.flush()
        payouts = await records.list_payouts(store, node_id=node_id)
        assert (
            len(payouts) == 1 and payouts[0].amount_micro_usd == earned[node_id] // 10_000 * 10_000
        )
    finally:
        await money.close()
