"""The Slack app manifest an admin pastes into https://api.slack.com/apps, for this deployment.

The shipped `manifest.yaml` (next to this module) names the placeholder host `coach.example.com` and asks
for every scope the coach can use. `app_manifest` fills in the real host and leaves out what the
configuration doesn't use: `chat:write.public` only lets the coach post shout-outs in a channel it was not
invited to, so without COACH_SHOUTOUT_CHANNEL the app doesn't ask a workspace admin for it.
"""

from __future__ import annotations

from importlib.resources import files

from bot.errors import CoachError
from handlers.platforms import HOST_NAME

SHIPPED = files("handlers.slack") / "manifest.yaml"
PLACEHOLDER = "coach.example.com"
SHOUTOUT_SCOPE = "chat:write.public"


def app_manifest(host: str, *, shoutouts: bool) -> str:
    """The manifest (YAML, its comments kept) for `host`, with the shout-out scope only when `shoutouts`."""
    if not HOST_NAME.match(host):
        raise CoachError(f"'{host}' is not a host name: give the host of the coach's HTTPS endpoint, e.g. "
                         "coach.example.com (no https://, no path)")
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    body = lines[next(i for i, line in enumerate(lines) if not line.startswith("#")):]
    if not shoutouts:
        body = [line for line in body if line.strip().split("#")[0].strip() != f"- {SHOUTOUT_SCOPE}"]
    said = "with" if shoutouts else "without"
    head = [f"# The Slack app for learning-coach at {host}, {said} shout-outs in a channel (`coach slack manifest`).",
            "# Create it in one paste: https://api.slack.com/apps → Create New App → From an app manifest."]
    return "\n".join(head + body).replace(PLACEHOLDER, host) + "\n"
