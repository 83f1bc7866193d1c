"""`coach teams package`: the Teams app package (manifest and icons) an admin uploads."""

from __future__ import annotations

from pathlib import Path

import typer

from handlers.cli.common import console, err, friendly, settings

app = typer.Typer(help="Microsoft Teams: the app package to upload to your tenant.", no_args_is_help=True)


@app.command("package")
@friendly
def package(
    app_id: str = typer.Option(..., "--app-id", help="The Microsoft App ID of your Azure Bot (a GUID)."),
    out: Path = typer.Option(Path("learning-coach-teams.zip"), "--out", dir_okay=False, help="Where to write."),
    domain: str | None = typer.Option(None, "--domain", help="Host of the messaging endpoint, e.g. coach.example.com."),
    developer: str = typer.Option("Learning & Development", "--developer", help="Shown as the app's publisher."),
    website: str | None = typer.Option(None, "--website", help="About tab link (default https://DOMAIN/)."),
    privacy: str | None = typer.Option(None, "--privacy-url",
                                       help="Privacy link (default COACH_PRIVACY_URL, else https://DOMAIN/privacy, "
                                            "which coach serve shows)."),
    terms: str | None = typer.Option(None, "--terms-url",
                                     help="Terms link (default COACH_TERMS_URL, else https://DOMAIN/terms)."),
) -> None:
    """Write the zip to upload in the Teams admin center (Manage apps > Upload new app)."""
    from handlers.msteams.package import NOWHERE, AppDetails, app_package

    config = settings()
    details = AppDetails(app_id=app_id, domain=domain, developer=developer, website=website,
                         privacy=privacy or config.privacy_url, terms=terms or config.terms_url)
    out.write_bytes(app_package(details))
    if NOWHERE in details.links().values():
        err.print(f"[yellow]note:[/yellow] the About tab links point to {NOWHERE}; pass --domain, or --website, "
                  "--privacy-url and --terms-url, to show your own pages", highlight=False)
    console.print(f"[green]wrote[/green] {out}: upload it in the Teams admin center (Teams apps > Manage apps > "
                  "Upload new app), or in Teams with Apps > Manage your apps > Upload an app", highlight=False)
