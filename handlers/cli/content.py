"""`coach content validate|import`: check content packs and load them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from handlers.cli.common import console, err, run

if TYPE_CHECKING:
    from content.model import Problem

app = typer.Typer(help="Check and load content packs (pack.yaml + Markdown lessons).", no_args_is_help=True)

@app.command("validate")
def validate(
    paths: list[Path] = typer.Argument(None, exists=True, help="Pack folders (or their pack.yaml), or folders "
                                                              "that contain pack folders."),
    starter: bool = typer.Option(False, "--starter", help="Check them together with the bundled starter pack "
                                                          "(for packs that use its competencies)."),
) -> None:
    """Check packs together and print every problem as FILE:LINE: message (exit 1 if any)."""
    from content.packs import load_packs

    chosen = _chosen(paths, starter)
    packs, problems = load_packs(chosen)
    if problems:
        _print_problems(problems, "")
        raise typer.Exit(1)
    lessons = sum(len(p.lessons) for p in packs)
    console.print(f"[green]ok[/green]: {len(packs)} pack(s), {lessons} lessons, no problems")


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(None, exists=True, help="Pack folders (or their pack.yaml); omit with "
                                                              "--starter."),
    starter: bool = typer.Option(False, "--starter", help="Import the starter pack bundled with the coach."),
) -> None:
    """Validate, then load or update packs in the database (idempotent; edited lessons get a new version)."""
    from bot.imports.packs import PackProblems, import_content

    chosen = _chosen(paths, starter)

    async def body(database, _config):  # type: ignore[no-untyped-def]
        try:
            with console.status("Importing content…"):
                return await import_content(database, chosen)
        except PackProblems as exc:
            _print_problems(exc.problems, "; nothing was imported")
            raise typer.Exit(1) from None

    report = run(body)
    console.print(
        f"[green]imported[/green] {', '.join(report.packs)}: {len(report.created)} new, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged, {len(report.retired)} retired lessons"
    )


def _chosen(paths: list[Path] | None, starter: bool) -> list[Path]:
    """The pack folders asked for: a path to a pack.yaml stands for its folder (what people tab-complete)."""
    from content.packs import STARTER

    chosen = [p.parent if p.is_file() and p.name == "pack.yaml" else p for p in paths or []]
    chosen += [STARTER] if starter else []
    if not chosen:
        err.print("[red]error:[/red] give at least one pack folder, or --starter")
        raise typer.Exit(2)
    return chosen


def _print_problems(problems: list[Problem], outcome: str) -> None:
    for problem in problems:
        err.print(str(problem), highlight=False, soft_wrap=True, markup=False)
    err.print(f"[red]{len(problems)} problem(s)[/red]{outcome}")
