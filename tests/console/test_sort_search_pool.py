"""What k9s / Flower / rq-dashboard users reach for: sort by a column over all rows (not the
page), free-text search in `/`, and `:pool NAME` to switch pool without restarting."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input

from console.screens.prompt import PromptScreen
from console.shots import screen_text, settle
from console.state import JOB_SORTS, NODE_SORTS, TableView, parse_filter
from console.window_words import window_words
from core.config import Settings
from core.devkit import seed
from core.devkit.seed import SeedSummary
from core.reads.batch import read
from core.reads.jobs import JobWindow, jobs_read
from core.reads.nodes import NodeWindow, nodes_read
from core.store import Store, connect
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]
MARKUP_CREATOR = "[bold]eve[/bold"  # unbalanced: as markup it would raise
MARKUP_ERROR = "disk [red]full[/] on /dev/sda"


async def oldest_job(store: Store) -> str:
    (job_id,) = await store.redis.zrange(store.keys.jobs_all, 0, 0)
    return str(job_id.decode())


async def mark_oldest(store: Store) -> str:
    """The oldest job (the last page, newest first) becomes the costliest, with a creator and
    an error that look like markup."""
    job_id = await oldest_job(store)
    await store.redis.hset(
        store.keys.job(job_id),
        mapping={"actual_cost": 987_000_000, "creator": MARKUP_CREATOR, "error": MARKUP_ERROR},
    )
    return job_id


async def type_into_prompt(pilot: object, app: RecordingConsole, key: str, text: str) -> None:
    await press(pilot, app, key)  # type: ignore[arg-type]
    assert isinstance(app.screen, PromptScreen)
    app.screen.query_one(Input).value = text
    await press(pilot, app, "enter")  # type: ignore[arg-type]


async def test_sorting_by_cost_brings_a_row_from_the_last_page_to_the_top(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    costliest = await mark_oldest(store)
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        table = app.pane("jobs").table
        assert costliest not in table.rows  # newest first: it is on the last page
        view = app.state.tables["jobs"]
        while view.sort.column != "cost":
            await press(pilot, app, "s")
        page = view.page
        assert page is not None and page.rows[0].job_id == costliest
        assert table.selected_key == costliest  # a new order selects its top row
        costs = [r.actual_cost or r.estimated_cost for r in page.rows]
        assert costs == sorted(costs, reverse=True)
        assert "sorted by cost ↓ over all 400" in str(app.pane("jobs").border_subtitle)
        await press(pilot, app, "s")  # attempts: over all rows too
        assert view.page is not None
        attempts = [r.attempts for r in view.page.rows]
        assert attempts == sorted(attempts, reverse=True)


async def test_a_sort_over_more_rows_than_its_budget_says_so(
    seeded: SeedSummary, store: Store
) -> None:
    view = TableView(JOB_SORTS, sort_index=2)  # cost ↓
    page = await read(store, jobs_read(store, JobWindow(limit=10, sort="cost", search_budget=50)))
    assert not page.exact and page.scanned == 50 and page.matched == 50 and page.total == 400
    words = window_words(view, page, len(page.rows))
    assert words == "1–10 of 50 · sorted by cost ↓ among the newest 50 of 400"
    nodes = TableView(NODE_SORTS, sort_index=2)  # earnings ↓
    node_page = await read(store, nodes_read(store, "nodes", NodeWindow(limit=36, sort="earnings")))
    earned = [r.earnings for r in node_page.rows]
    assert earned == sorted(earned, reverse=True) and len(earned) == 36
    assert window_words(nodes, node_page, 36) == "1–36 of 36 · sorted by earnings ↓ over all 36"


async def test_the_selection_stays_on_its_node_through_every_sort(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(160, 120)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        table = app.pane("nodes").table
        assert table.row_count == 36  # the whole fleet fits: every order holds every node
        table.move_cursor(row=17)
        await pilot.pause()
        chosen = table.selected_key
        assert chosen is not None
        rows_at: set[int] = set()
        for _ in NODE_SORTS:
            await press(pilot, app, "s")
            assert table.selection == chosen and table.selected_key == chosen
            assert table.lost is None
            rows_at.add(table.cursor_row)
            page = app.state.tables["nodes"].page
            assert page is not None and page.rows[table.cursor_row].node_id == chosen
        assert len(rows_at) > 1  # the row moved; the selection followed its key


def test_free_text_is_what_is_not_a_filter() -> None:
    assert parse_filter("failed alice", jobs=True)["text"] == "alice"
    assert parse_filter("model", jobs=True)["job_type"] == "model-inference"
    assert parse_filter("text:failed", jobs=True)["text"] == "failed"
    assert parse_filter("code", jobs=False)["text"] == "code"  # nodes have no types
    found = parse_filter("[bold]eve[/bold", jobs=True)
    assert found["text"] == "[bold]eve[/bold" and found["status"] is None


async def test_search_finds_jobs_by_id_tail_creator_and_error_literally(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    marked = await mark_oldest(store)
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        view = app.state.tables["jobs"]
        for text in (marked[-7:], MARKUP_CREATOR, "[RED]FULL[/]", "eve[/bold"):
            await type_into_prompt(pilot, app, "slash", text)
            assert view.text == text
            page = view.page
            assert page is not None and page.matched == 1, text
            assert [r.job_id for r in page.rows] == [marked]
            assert app.pane("jobs").table.selected_key == marked
            shown = screen_text(app)
            assert f'"{text}"' in shown and "1 match" in shown  # the typed text, literally
        await type_into_prompt(pilot, app, "slash", "failed zz-no-such-text")
        page = view.page
        assert page is not None and page.matched == 0 and not page.rows
        assert view.status == "failed" and "no matches" in screen_text(app)
        await press(pilot, app, "escape")
        assert view.text is None and view.page is not None and view.page.matched is None


async def test_search_finds_nodes_by_region_and_id_and_says_when_limited(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    node_id = seeded.nodes[5]
    region = (await store.redis.hget(store.keys.node(node_id), "region")).decode()
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_into_prompt(pilot, app, "slash", region.upper())
        page = app.state.tables["nodes"].page
        assert page is not None and page.matched and page.rows
        assert {r.region for r in page.rows} == {region}
        await type_into_prompt(pilot, app, "slash", node_id[-9:])
        page = app.state.tables["nodes"].page
        assert page is not None and [r.node_id for r in page.rows] == [node_id]
    limited = await read(store, jobs_read(store, JobWindow(limit=5, text="b", search_budget=100)))
    view = TableView(JOB_SORTS, text="b")
    words = window_words(view, limited, len(limited.rows))
    assert "search limited to the newest 100 of 400" in words


async def test_pool_switch_shows_the_other_pools_nodes_and_refuses_an_unknown_pool(
    make_console: Make, seeded: SeedSummary, settings: Settings
) -> None:
    other_settings = settings.model_copy(update={"pool": f"{settings.pool}-other"})
    other = await connect(other_settings)
    try:
        other_seed = await seed.seed(other, nodes=5, jobs=12, seed_value=9)
    finally:
        await other.close()
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert set(app.pane("nodes").table.rows) <= set(seeded.nodes)
        await press(pilot, app, "colon")
        assert isinstance(app.screen, PromptScreen)
        assert other_settings.pool in screen_text(app)  # the prompt lists the pools
        app.screen.query_one(Input).value = f"pool {other_settings.pool}"
        await press(pilot, app, "enter")
        assert app.settings.pool == other_settings.pool
        rows = set(app.pane("nodes").table.rows)
        assert rows == set(other_seed.nodes)
        assert other_settings.pool in screen_text(app)  # the status line names it
        await press(pilot, app, "2")
        assert app.snapshot is not None and app.snapshot.jobs is not None
        assert app.snapshot.jobs.total == 12
        await type_into_prompt(pilot, app, "colon", "pool no-such-pool")
        assert app.settings.pool == other_settings.pool
        assert app.said("There is no pool 'no-such-pool'")
        await type_into_prompt(pilot, app, "colon", "pool Not A Pool!")
        assert app.said("is not a pool name")
        await type_into_prompt(pilot, app, "colon", "frobnicate")
        assert app.said("Unknown command 'frobnicate'")
        await type_into_prompt(pilot, app, "colon", f"pool {settings.pool}")
        assert app.settings.pool == settings.pool
        assert set(app.pane("jobs").table.rows) <= {
            j for ids in seeded.jobs_by_status.values() for j in ids
        }


async def test_a_sorted_window_is_read_again_only_when_stale_or_asked_for(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "s", "s")  # cost ↓: examined on the server
        view = app.state.tables["jobs"]
        assert view.sort.column == "cost" and view.ordered_at is not None
        rows = list(app.pane("jobs").table.rows)
        read_at = view.ordered_at
        await settle(pilot, app)  # plain polls: the sorted window stays as it is
        assert app.state.kept == {"jobs"} and app.snapshot is not None
        assert app.snapshot.jobs is view.page  # the snapshot holds what is on screen
        assert list(app.pane("jobs").table.rows) == rows and view.ordered_at == read_at
        view.ordered_at -= 60  # stale: read again at the next poll
        await settle(pilot, app)
        assert view.ordered_at > read_at and view.page is not None
        assert view.page.matched == 400 and list(app.pane("jobs").table.rows) == rows
        await press(pilot, app, "right_square_bracket")  # another window: read at once
        assert view.page is not None and view.page.offset == view.limit
