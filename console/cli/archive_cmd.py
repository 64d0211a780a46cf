"""`lcn archive status`: the archive's size and rows, and the oldest history Redis still holds."""

from __future__ import annotations

import typer

from console.cli.common import Context, emit_json, run, table
from core.models.base import ms_to_datetime
from core.store import Store
from core.swarm.archive_report import ArchiveReport, archive_report

archive_app = typer.Typer(
    help="The archive of finished jobs, postings and audit entries.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(archive_app, name="archive")


def _when(ms: int | None) -> str:
    found = ms_to_datetime(ms) if ms else None
    return found.strftime("%Y-%m-%d %H:%M:%S") if found else "-"


@archive_app.command("status")
def status_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Archive size and rows per table; finished jobs still in Redis and the oldest of them."""
    settings = Context.settings()

    async def work(store: Store) -> ArchiveReport:
        return await archive_report(store, settings)

    report = run(work, settings)
    if json_out:
        emit_json(report)
        return
    typer.echo(
        f"archive {report.backend} {report.url}  schema v{report.schema_version}  "
        f"{report.size_bytes / 1e6:.1f} MB"
    )
    rows = [
        [name, str(t.rows), _when(t.oldest), _when(t.newest)] for name, t in report.tables.items()
    ]
    table(rows, ["table", "rows", "oldest", "newest"])
    live = report.redis
    oldest = live.oldest_finished
    typer.echo(
        f"redis: {live.finished_jobs} finished jobs"
        + (
            f", oldest {oldest.job_id} {oldest.status} {_when(oldest.finished_at)}"
            if oldest
            else ""
        )
        + f"; journal {live.journal_entries}, audit {live.audit_entries} entries"
        + (f"; used {live.used_memory_bytes / 1e6:.1f} MB" if live.used_memory_bytes else "")
    )
    typer.echo(
        f"oldest archived job {_when(report.oldest_archived_job)}; archivable up to "
        f"{_when(live.covered_until)} (ledger checkpoint); retention "
        f"{report.retention.retention_s} s / {report.retention.retain_jobs} jobs"
        + (", journal trimmed" if report.retention.trim_journal else "")
    )
