"""The weekly team digest: managers who opt in get a short DM on Monday morning in their own time zone —
the week's activity, the biggest gaps, who needs attention, and the suggested actions as buttons.

The dispatcher's tick calls `send_due_digests`; each manager's digest is claimed once per ISO week in the
database (`store.outgoing`), so several processes, or a tick run twice, send it once. A send that fails
gives the claim back and the next tick tries again while it is still Monday morning; a process that died
holding a claim loses it after CLAIM_LEASE.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.lessons.schedule import zone_of
from bot.replies import Button, Moment, Notice, Phrase, Reply, TeamSummary, Text
from bot.team.summary import team_summary
from bot.team.text import people
from store import outgoing

if TYPE_CHECKING:
    from bot.dispatch.sender import Sender

log = logging.getLogger(__name__)

OPENS, CLOSES = time(9, 0), time(12, 0)
"""Monday morning, local time: the digest goes at the first tick after 09:00 and not after noon."""
CLAIM_LEASE = timedelta(minutes=10)
SHOWN_ATTENTION = 5
SOMEWHERE_MONDAY = (timedelta(days=-1, hours=19), timedelta(days=1))
"""From Sunday 19:00 UTC (09:00 Monday at UTC+14) to Tuesday 00:00 UTC (noon Monday at UTC-12), relative to
Monday 00:00 UTC: outside it no time zone is in its Monday morning and a tick skips the query."""


def digest_week(now: datetime, zone: str) -> str | None:
    """The ISO week (`2026-W49`) whose digest is due at `now` in `zone`, or None outside Monday morning."""
    local = now.astimezone(ZoneInfo(zone))
    if local.isoweekday() != 1 or not OPENS <= local.time() < CLOSES:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def maybe_monday_somewhere(now: datetime) -> bool:
    utc = now.astimezone(UTC)
    monday = datetime.combine(utc.date() - timedelta(days=utc.weekday()), time(0), UTC)
    return any(monday + week + SOMEWHERE_MONDAY[0] <= utc < monday + week + SOMEWHERE_MONDAY[1]
               for week in (timedelta(0), timedelta(days=7)))


def _today(now: datetime, zone: str) -> Moment:
    """The manager's Monday, as a day in their zone."""
    return Moment.on(Moment(now, zone).local.date(), zone)


def digest_notice(summary: TeamSummary, today: Moment) -> Notice:
    """The summary's essentials in one message, dated `today` (the manager's Monday); the full summary is
    one button away."""
    answered = sum(g.answered_7 for g in summary.groups)  # groups hold everyone, counted or listed
    active = sum(g.active_7 for g in summary.groups)
    lines: list[Text] = [Phrase.of("**Your weekly team digest** · ", today),
             f"{answered} lessons answered in the last 7 days by {active} of {people(summary.people)}."]
    if summary.gaps:
        lines += ["", "**Biggest gaps** (among people with answers)", *(f"• {gap}" for gap in summary.gaps[:3])]
    if summary.attention:
        more = len(summary.attention) - SHOWN_ATTENTION + summary.attention_more
        lines += ["", "**Needs attention**", *("• " + note for note in summary.attention[:SHOWN_ATTENTION])]
        if more > 0:
            lines.append(f"• …and {more} more: open the team summary")
    lines += ["", "_You get this because you turned on the weekly digest in `/learn settings`._"]
    buttons = [Button("Open the team summary", "team_summary", {}, "primary"), *summary.actions[:3]]
    return Notice(Phrase.lines(lines), buttons)


async def send_due_digests(sender: Sender, now: datetime) -> int:
    """Send every digest due at `now` through the dispatcher's sender (its rate limits and any 429 hold are the
    workspace's, shared with the lessons); returns how many were sent."""
    services = sender.services
    if not sender.couriers or not maybe_monday_somewhere(now):
        return 0
    async with services.database.session() as session:
        subscribers = await outgoing.digest_subscribers(session)
    sent = 0
    for person, settings in subscribers:
        week = digest_week(now, zone_of(settings, person))
        if week is None or person.id is None:
            continue
        async with services.database.session() as session:
            if not await outgoing.claim_digest(session, person.id, week, services.worker_id, now, now - CLAIM_LEASE):
                continue
        summary: TeamSummary | None = None
        try:
            async with services.database.session() as session:
                summary = await team_summary(session, person.id, now, services.config.mastery_threshold)
            delivered = summary is None or await sender.send_notice(
                person, Reply(messages=[digest_notice(summary, _today(now, zone_of(settings, person)))]))
        except Exception:
            log.exception("weekly digest for person %s failed; the next tick tries again", person.id)
            delivered = False
        async with services.database.session() as session:
            if delivered:
                await outgoing.digest_sent(session, person.id, week, services.worker_id, now)
            else:
                await outgoing.release_digest(session, person.id, week, services.worker_id)
        sent += int(delivered and summary is not None)
    return sent
