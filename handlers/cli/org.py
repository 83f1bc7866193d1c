"""`coach org import`: load or update the org chart from CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from handlers.cli.common import console, err, run

app = typer.Typer(help="The org chart: who reports to whom, roles, time zones.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with a header row."),
    deactivate_missing: bool = typer.Option(False, "--deactivate-missing", help="The file is the whole "
                                            "organisation: people it no longer lists have left (no more lessons, "
                                            "not shown to managers); listing them again brings them back."),
) -> None:
    """Load or update people (idempotent). All-or-nothing: bad lines are listed and nothing is loaded. Once the
    import has committed, the managers' kept team totals are counted again (in a transaction of their own) when
    it changed the chart, so a director's summary right after reads kept totals instead of counting live."""

    from bot.imports.org_chart import OrgChartError, import_org_chart
    from bot.imports.packs import ensure_starter_content
    from bot.team.rollup import count_after_import
    from store.types import utcnow

    async def body(database, config):  # type: ignore[no-untyped-def]
        await ensure_starter_content(database)
        try:
            result = await import_org_chart(database, file, deactivate_missing=deactivate_missing)
        except OrgChartError as exc:
            for problem in exc.problems:
                err.print(str(problem), highlight=False, soft_wrap=True)
            err.print(f"[red]{len(exc.problems)} problem(s)[/red]; nothing was loaded")
            raise typer.Exit(1) from None
        return result, await count_after_import(database, utcnow(), config.mastery_threshold)

    result, totals = run(body)
    console.print(f"[green]loaded[/green] {file}: {result.created} new, {result.updated} updated, "
                  f"{result.unchanged} unchanged" + (f", {result.deactivated} left" if deactivate_missing else ""))
    if totals is None:
        err.print("[yellow]the team totals could not be counted[/yellow] (see the log): large teams' summaries "
                  "are counted live until the scheduler's next team-totals job")
    elif totals.counted:
        console.print(f"counted team totals for {totals.managers} manager{'' if totals.managers == 1 else 's'}")
    else:
        console.print("team totals: already counted since the last change to the org chart")
