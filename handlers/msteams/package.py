"""The Teams app package an admin uploads: the shipped manifest filled with this deployment's values, and
the two icons, zipped flat as Teams expects."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from bot.errors import CoachError
from handlers.platforms import HOST_NAME

MANIFEST = files("handlers.msteams") / "manifest"
ICONS = ("color.png", "outline.png")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
NOWHERE = "https://localhost/"
DEVELOPER_NAME = 32
"""Characters Teams' manifest schema allows for `developer.name`; a longer one fails the upload."""


@dataclass(frozen=True)
class AppDetails:
    """What differs between deployments. The developer links appear in the app's About tab; they default
    to pages on the bot's own domain."""

    app_id: str
    domain: str | None = None
    developer: str = "Learning & Development"
    website: str | None = None
    privacy: str | None = None
    terms: str | None = None

    def links(self) -> dict[str, str]:
        base = f"https://{self.domain}/" if self.domain else NOWHERE
        return {"WEBSITE_URL": self.website or base, "PRIVACY_URL": self.privacy or base + "privacy",
                "TERMS_URL": self.terms or base + "terms"}


def manifest(details: AppDetails) -> dict[str, Any]:
    """The manifest with every placeholder filled; raises CoachError on values Teams would refuse."""
    if not GUID.match(details.app_id):
        raise CoachError(f"'{details.app_id}' is not an app id: use the Microsoft App ID of your Azure Bot, "
                         "a GUID like 6f0c7a52-4d1e-4c39-9a4b-2f5e8d7c1b00")
    developer = details.developer.strip()
    if not 0 < len(developer) <= DEVELOPER_NAME:
        raise CoachError(f"--developer must be 1 to {DEVELOPER_NAME} characters (Teams' limit for the "
                         f"publisher's name), not {len(developer)}: '{developer}'")
    if details.domain and not HOST_NAME.match(details.domain):
        raise CoachError(f"'{details.domain}' is not a host name: give the host of your messaging endpoint, "
                         "e.g. coach.example.com (no https://, no path)")
    links = details.links()
    for name, url in links.items():
        if not url.startswith("https://"):
            raise CoachError(f"the {name.split('_')[0].lower()} link must start with https:// (got {url})")
    values = {"APP_ID": details.app_id.lower(), "DEVELOPER_NAME": developer, **links}
    text = (MANIFEST / "manifest.json").read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${{" + name + "}}", json.dumps(value)[1:-1])
    return json.loads(text.replace('"${{BOT_DOMAIN}}"', json.dumps(details.domain) if details.domain else ""))


def app_package(details: AppDetails) -> bytes:
    """The zip to upload in the Teams admin center (or with "Upload a custom app")."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(details), indent=2, ensure_ascii=False))
        for icon in ICONS:
            archive.writestr(icon, (MANIFEST / icon).read_bytes())
    return buffer.getvalue()
