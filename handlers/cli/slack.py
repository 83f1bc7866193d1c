"""`coach slack manifest`: the Slack app manifest for this deployment, to paste at api.slack.com/apps."""

from __future__ import annotations

from pathlib import Path

import typer

from handlers.cli.common import console, friendly, settings

app = typer.Typer(help="Slack: the app manifest to create the app from.", no_args_is_help=True)


@app.command("manifest")
@friendly
def manifest(
    host: str = typer.Option(..., "--host", help="Host of the coach's HTTPS endpoint, e.g. coach.example.com."),
    shoutouts: bool | None = typer.Option(
        None, "--shoutouts/--no-shoutouts",
        help="Ask for chat:write.public, to post opt-in shout-outs in a channel without being invited "
             "(default: only when COACH_SHOUTOUT_CHANNEL is set)."),
    out: Path | None = typer.Option(None, "--out", dir_okay=False, help="Write it here instead of printing it."),
) -> None:
    """Print (or write) the manifest: Create New App → From an app manifest → paste it."""
    from handlers.slack.manifest import app_manifest

    text = app_manifest(host, shoutouts=bool(settings().shoutout_channel) if shoutouts is None else shoutouts)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"[green]wrote[/green] {out}: paste it at https://api.slack.com/apps → Create New App → "
                  "From an app manifest", highlight=False)
