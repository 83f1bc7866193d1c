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
    """Load or update people (idempotent). All-or-nothing: bad lines are listed and nothing is loaded."""

    from bot.imports.org_chart import OrgChartError, import_org_chart
    from bot.imports.packs import ensure_starter_content

    async def body(database, _config):  # type: ignore[no-untyped-def]
        await ensure_starter_content(database)
        try:
            return await import_org_chart(database, file, deactivate_missing=deactivate_missing)
        except OrgChartError as exc:
            for problem in exc.problems:
                err.print(str(problem), highlight=False, soft_wrap=True)
            err.print(f"[red]{len(exc.problems)} problem(s)[/red]; nothing was loaded")
            raise typer.Exit(1) from None

    result = run(body)
    console.print(f"[green]loaded[/green] {file}: {result.created} new, {result.updated} updated, "
                  f"{result.unchanged} unchanged" + (f", {result.deactivated} left" if deactivate_missing else ""))
