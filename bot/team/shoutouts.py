"""Opt-in shout-outs: when someone who agreed to it completes a voluntary goal (every target of the goal role
they chose), the coach congratulates them in COACH_SHOUTOUT_CHANNEL.

A courier that can post to a channel says so by having `post_to_channel` (`ChannelPoster`); the Slack
courier does, and the channel setting names a Slack channel. The dispatcher's tick calls `post_shoutouts`.
Each badge is claimed before posting (its `announced_at`), so it is announced at most once however many
processes tick; a post that fails gives the claim back for the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.couriers import Courier, DeliveryError, Sent
from bot.replies import Notice, Reply
from bot.services import Services
from store import outgoing

log = logging.getLogger(__name__)

FRESH = timedelta(days=7)
"""Goals completed longer ago than this are old news: opting in later does not announce them."""


@runtime_checkable
class ChannelPoster(Protocol):
    """A courier that can also post to a shared channel (not a person's DM)."""

    platform: str

    async def post_to_channel(self, channel: str, reply: Reply) -> Sent: ...


def shoutout(name: str, role: str) -> Notice:
    return Notice(f"🎉 A shout-out to **{name}**, who has completed the voluntary **{role}** path: every "
                  "target of the role met, one short lesson at a time. Congratulations!")


async def post_shoutouts(services: Services, couriers: Mapping[str, Courier], now: datetime) -> int:
    """Announce the goals completed since the last tick; returns how many were posted."""
    channel = services.config.shoutout_channel
    poster = next((c for c in couriers.values() if isinstance(c, ChannelPoster)), None)
    if not channel or poster is None:
        return 0
    async with services.database.session() as session:
        goals = await outgoing.unannounced_goals(session, now - FRESH)
    posted = 0
    for badge, person, role in goals:
        assert badge.id is not None
        if badge.key == person.role_id:  # their own role, not a voluntary goal (awarded before that was refused)
            continue
        async with services.database.session() as session:
            if not await outgoing.claim_announcement(session, badge.id, now):
                continue
        try:
            await poster.post_to_channel(channel, Reply(messages=[shoutout(person.name, role)]))
        except DeliveryError as exc:
            log.warning("shout-out for badge %s not posted to %s: %s", badge.id, channel, exc)
            if not exc.permanent:
                async with services.database.session() as session:
                    await outgoing.release_announcement(session, badge.id)
            continue
        posted += 1
    return posted
