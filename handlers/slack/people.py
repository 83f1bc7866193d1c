"""Who is writing: the Slack account matched to the org chart, with the profile's email and time zone.

`users.info` gives the email (matching people the org chart lists without a Slack id) and the profile's
time zone (the default for people the org chart gives none). Profiles are cached for a few minutes per
process — they are Slack's data, not the coach's, and the database stays the only truth about people.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.coach import Coach
from store.models import Person

log = logging.getLogger(__name__)

PROFILE_SECONDS = 600.0
PROFILES_KEPT = 10_000
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:mailto:)?([^<>|]+)(?:\|([^<>]*))?>")


NO_SUCH_USER = frozenset({"user_not_found", "users_not_found"})
"""users.info's answer for an id Slack does not know: a lookup that worked and found no one."""


@dataclass(frozen=True)
class Profile:
    email: str | None = None
    timezone: str | None = None


class ProfileUnavailable(Exception):
    """Slack could not say who someone is just now (rate limit, outage). It says nothing about whether the
    org chart lists them, so they hear "try again in a minute", never "I couldn't find you"."""


class Directory:
    """Slack profiles and the org-chart person behind a Slack user id."""

    def __init__(self, coach: Coach, client: AsyncWebClient) -> None:
        self.coach = coach
        self.client = client
        self._profiles: dict[str, tuple[float, Profile]] = {}

    async def profile(self, user_id: str) -> Profile:
        """The Slack profile (empty for an id Slack does not know); raises ProfileUnavailable when Slack
        could not be asked."""
        cached = self._profiles.get(user_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") in NO_SUCH_USER:
                return Profile()
            log.warning("users.info failed for %s: %s", user_id, exc)
            raise ProfileUnavailable(str(exc)) from exc
        except (ClientError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %s", user_id, exc)
            raise ProfileUnavailable(str(exc)) from exc
        user: dict[str, Any] = response.get("user") or {}
        profile = Profile(email=(user.get("profile") or {}).get("email"), timezone=user.get("tz"))
        if len(self._profiles) >= PROFILES_KEPT:
            self._profiles.pop(next(iter(self._profiles)))
        self._profiles[user_id] = (time.monotonic() + PROFILE_SECONDS, profile)
        return profile

    async def person(self, user_id: str, team_id: str | None, *,
                     address: dict[str, Any] | None = None) -> Person | None:
        """The org-chart person (by Slack id, else by the profile's email), or None for someone unknown.
        Without the profile (ProfileUnavailable), people the org chart lists by Slack id are still found;
        anyone else gets the error, since only the email could tell."""
        unavailable: ProfileUnavailable | None = None
        try:
            profile = await self.profile(user_id)
        except ProfileUnavailable as exc:
            profile, unavailable = Profile(), exc

        async def email() -> str | None:
            if unavailable is not None:
                raise unavailable
            return profile.email

        return await self.coach.identify("slack", user_id, email=email, workspace=team_id,
                                         timezone=profile.timezone, address=address)

    async def plain_words(self, text: str) -> str:
        """Slack's markup in typed text made plain: `<@U1>` -> that person's email (what `/team` takes; a
        mention Slack cannot resolve stays as written, so it matches no one rather than nothing),
        `<mailto:a@x.com|a@x.com>` -> `a@x.com`, and the three escaped characters restored."""
        for user_id in set(_MENTION.findall(text)):
            email = (await self.profile(user_id)).email
            text = re.sub(rf"<@{user_id}(?:\|([^>]*))?>", lambda m, e=email: e or m.group(1) or m.group(0), text)
        text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def unknown_text(self, profile: Profile) -> str:
        """What someone hears when the org chart does not list them: who to ask, never silence."""
        looked = f" (I looked for your Slack account and {profile.email})" if profile.email else ""
        return (f"Hi! I couldn't find you in our org chart{looked}, so I can't coach you yet. Please ask your "
                "HR or L&D admin to add you; once you're in, type `help` here or use `/learn` to start.")
