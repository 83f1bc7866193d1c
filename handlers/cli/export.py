"""`coach export csv|xapi`: every learning record, as CSV or as xAPI 1.0.3 statements (JSON lines), to a file
or standard output; `--send` delivers the statements not yet sent to the Learning Record Store at
COACH_LRS_URL instead (batched, retried, each statement once)."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from handlers.cli.common import console, err, run

if TYPE_CHECKING:
    from rich.progress import Progress

    from bot.config import Settings
    from store.db import Database

PAGE = 1000


class Format(StrEnum):
    csv = "csv"
    xapi = "xapi"


def export(
    fmt: Format = typer.Argument(..., metavar="FORMAT", help="csv (one row per answer) or xapi (JSON lines)."),
    out: Path | None = typer.Option(None, "--out", "-o", dir_okay=False, help="Write here instead of stdout."),
    send: bool = typer.Option(False, "--send", help="xapi only: send new statements to COACH_LRS_URL."),
) -> None:
    """Learning records out: answers, lessons read and levels mastered. Re-exporting gives the same records
    (xAPI statement ids are stable), so an LRS stores each one once."""
    if send and fmt is not Format.xapi:
        raise typer.BadParameter("--send works with xapi only", param_hint="--send")
    if send:
        report = run(lambda db, config: _send(db, config))
        console.print(f"[green]sent[/green] {report.sent} statement(s) in {report.batches} batch(es)"
                      + (f"; {report.conflicts} already in the LRS with other content (kept)" if report.conflicts
                         else ""))
        if out is None:
            return
    run(lambda db, config: _write(db, config, fmt, out))
    if out is not None:
        err.print(f"[green]wrote[/green] {out}")


def _progress() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                     console=err, transient=True)


async def _send(database: Database, config: Settings) -> Any:
    from bot.records.lrs import send_new_statements
    from store import records
    from store.types import utcnow

    async with database.session() as session:
        answers, badges = await records.count_records(session)
    with _progress() as bar:
        task = bar.add_task("sending to the LRS", total=answers + badges)
        return await send_new_statements(database, config, utcnow(), progress=lambda n: bar.advance(task, n))


async def _write(database: Database, config: Settings, fmt: Format, out: Path | None) -> None:
    from bot.errors import CoachError
    from bot.records.csv import record_rows, write_rows
    from bot.records.xapi import Statements
    from store import records

    async with database.session() as session:
        answers, badges = await records.count_records(session)
    try:
        target = out.open("w", encoding="utf-8", newline="") if out else nullcontext(sys.stdout)
    except OSError as exc:
        raise CoachError(f"cannot write {out}: {exc.strerror}") from None
    builder = Statements(config.xapi_base)
    with target as stream, _progress() as bar:
        task = bar.add_task(f"exporting {fmt.value}", total=answers + (badges if fmt is Format.xapi else 0))
        after, first = 0, True
        while True:
            async with database.session() as session:
                page = await records.answers_after(session, after, PAGE)
            if not page:
                break
            if fmt is Format.csv:
                write_rows(stream, record_rows(page), header=first)
            else:
                _lines(stream, [s for record in page for s in builder.for_answer(record)])
            first, after = False, page[-1].id
            bar.advance(task, len(page))
        if fmt is Format.csv and first:
            write_rows(stream, [], header=True)
        if fmt is Format.xapi:
            after = 0
            while True:
                async with database.session() as session:
                    badge_page = await records.badges_after(session, after, PAGE)
                if not badge_page:
                    break
                _lines(stream, [builder.for_badge(b) for b in badge_page])
                after = badge_page[-1].id
                bar.advance(task, len(badge_page))


def _lines(stream: IO[str], statements: list[dict[str, Any]]) -> None:
    stream.writelines(json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n" for s in statements)
