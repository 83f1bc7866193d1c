"""Who is writing: the Slack account matched to the org chart, with the profile's email and time zone.

People are looked up by the Slack id the coach has stored first, so `users.info` is asked only when the
email is needed: for an id the coach has not matched yet (people the org chart lists without a Slack id),
or a mention in `/team`. The profile's time zone — the default for people the org chart gives none — is
learned afterwards, in the background, never on the way to a reply. Profiles are cached for a few minutes
per process — they are Slack's data, not the coach's, and the database stays the only truth about people.
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

from bot.chat.coach import Coach
from handlers.slack.chat import error_code
from handlers.slack.work import Background
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

    def __init__(self, coach: Coach, client: AsyncWebClient, background: Background) -> None:
        self.coach = coach
        self.client = client
        self.background = background
        self._profiles: dict[str, tuple[float, Profile]] = {}
        self._learning: set[str] = set()

    async def profile(self, user_id: str) -> Profile:
        """The Slack profile (empty for an id Slack does not know); raises ProfileUnavailable when Slack
        could not be asked (after the client's retries: never call it before an acknowledgement)."""
        cached = self._cached(user_id)
        if cached is not None:
            return cached
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if error_code(exc) in NO_SUCH_USER:
                return self._keep(user_id, Profile())
            log.warning("users.info failed for %s: %s", user_id, exc)
            raise ProfileUnavailable(str(exc)) from exc
        except (ClientError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %s", user_id, str(exc) or "no answer in time")
            raise ProfileUnavailable(str(exc)) from exc
        user: dict[str, Any] = response.get("user") or {}
        return self._keep(user_id, Profile(email=(user.get("profile") or {}).get("email"), timezone=user.get("tz")))

    async def person(self, user_id: str, team_id: str | None, *,
                     address: dict[str, Any] | None = None) -> Person | None:
        """The org-chart person (by stored Slack id, else by the profile's email), or None for someone
        unknown. Raises ProfileUnavailable only when the email was needed and Slack could not give it.
        Slack is asked between the two look-ups, never inside one: a transaction (on SQLite, the write
        lock) must not wait on the network."""
        person = await self.known(user_id, team_id, address=address)
        if person is not None:
            return person
        profile = await self.profile(user_id)

        async def email() -> str | None:
            return profile.email

        return await self.coach.identify("slack", user_id, email=email, workspace=team_id, address=address,
                                         timezone=profile.timezone)

    async def known(self, user_id: str, team_id: str | None, *,
                    address: dict[str, Any] | None = None) -> Person | None:
        """The org-chart person already matched to this Slack id, without asking Slack (fit for work before an
        acknowledgement); None when the id is not matched yet. When the org chart gives them no zone, their
        profile's is learned beside the request."""
        person = await self.coach.identify("slack", user_id, workspace=team_id, address=address)
        if person is not None and person.timezone is None and user_id not in self._learning:
            self._learning.add(user_id)
            self.background.spawn(self._learn_zone(user_id, team_id))
        return person

    async def plain_words(self, text: str) -> str:
        """Slack's markup in typed text made plain: `<@U1>` -> that person's email (what `/team` takes; a
        mention Slack cannot resolve stays as written, so it matches no one rather than nothing),
        `<mailto:a@x.com|a@x.com>` -> `a@x.com`, and the three escaped characters restored."""
        for user_id in set(_MENTION.findall(text)):
            email = (await self.profile(user_id)).email
            text = re.sub(rf"<@{user_id}(?:\|([^>]*))?>", lambda m, e=email: e or m.group(1) or m.group(0), text)
        text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    async def _learn_zone(self, user_id: str, team_id: str | None) -> None:
        """The profile's time zone for someone the org chart gives none, learned beside their request (which
        does not wait for it): the zone their next lessons and settings start from."""
        try:
            zone = (await self.profile(user_id)).timezone
            if zone:
                await self.coach.identify("slack", user_id, workspace=team_id, timezone=zone)
        except ProfileUnavailable:
            pass  # logged; their next request tries again
        finally:
            self._learning.discard(user_id)

    def _cached(self, user_id: str) -> Profile | None:
        cached = self._profiles.get(user_id)
        return cached[1] if cached is not None and cached[0] > time.monotonic() else None

    def _keep(self, user_id: str, profile: Profile) -> Profile:
        if len(self._profiles) >= PROFILES_KEPT:
            self._profiles.pop(next(iter(self._profiles)))
        self._profiles[user_id] = (time.monotonic() + PROFILE_SECONDS, profile)
        return profile

    def unknown_text(self, profile: Profile) -> str:
        """What someone hears when the org chart does not list them: who to ask, never silence."""
        looked = f" (I looked for your Slack account and {profile.email})" if profile.email else ""
        return (f"Hi! I couldn't find you in our org chart{looked}, so I can't coach you yet. Please ask your "
                "HR or L&D admin to add you; once you're in, type `help` here or use `/learn` to start.")
