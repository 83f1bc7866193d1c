"""Dates in Slack messages, over real HTTP on both databases: each is Slack's date token, which every client
shows in its reader's own zone and language, with a fallback in words in the learner's zone; the message's
notification text names the date in words, never as a token."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.replies import Moment
from handlers.slack.mrkdwn import date_token, unlinked
from tests.conftest import Clock
from tests.support.learner import answer, next_card
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

LAST_DAY = int(datetime(2026, 12, 24, 11, tzinfo=UTC).timestamp())
"""Ben's last day away (his zone is Europe/Berlin), held at noon there so readers within 12 hours see that day."""


async def test_a_day_away_is_a_date_token_with_words_in_the_learners_zone(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    [answer] = await slack.fake.wait_for("response_url", name=await ben.command("away 2026-12-24"))
    blocks = answer.text_of_blocks.removesuffix("\n" + answer.args["text"])
    assert f"up to and including <!date^{LAST_DAY}^{{date_short_pretty}}|Thu 24 Dec>." in blocks
    assert "up to and including Thu 24 Dec." in answer.args["text"]  # the notification line, in words
    assert "<!date" not in answer.args["text"]

    [asked] = await slack.fake.wait_for("response_url", name=await ben.command("away"))
    assert f"You're away until <!date^{LAST_DAY}^{{date_short_pretty}}|Thu 24 Dec>." in asked.text_of_blocks


def test_a_time_names_the_learners_zone_and_an_unknown_zone_reads_as_utc() -> None:
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    stamp = int(at.timestamp())
    assert date_token(Moment(at, "America/New_York")) == \
        f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|Wed 2 Dec, 04:30 (America/New_York)>"
    assert date_token(Moment(at, "Not/AZone")).endswith("|Wed 2 Dec, 09:30 (UTC)>")
    assert unlinked(f"Next: {date_token(Moment(at, 'Asia/Tokyo'))}.") == "Next: Wed 2 Dec, 18:30 (Asia/Tokyo)."


async def test_a_manager_reads_a_reports_old_last_active_day_as_a_date_token_in_her_zone(
        slack: SlackServer, clock: Clock) -> None:
    """Ben last answered at 00:30 on Wednesday 2 December in Berlin (still Tuesday in UTC), then nothing for 40
    days: Mia (Europe/Berlin) reads that day in `/team` and `/team ben` as Slack's date token with its year,
    the fallback words on her clock; the notification line has the words, never the token."""
    ben = slack.ids["ben@example.com"]
    clock.now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    await answer(slack.coach, ben, await next_card(slack.coach, ben), True)
    clock.advance(days=40)
    token = f"<!date^{int(datetime(2026, 12, 1, 23, 30, tzinfo=UTC).timestamp())}^{{date_short}}|Wed, 2 Dec 2026>"
    mia = slack.person("UMIA")

    [summary] = await slack.fake.wait_for("response_url", name=await mia.command("", command="/team"))
    [row] = [line for line in summary.text_of_blocks.splitlines() if "*Ben Buyer* —" in line]
    assert row.endswith(f"streak 0 · {token} · 💤 quiet"), row
    assert f"Ben Buyer — no lesson answered since {token}" in summary.text_of_blocks
    told = summary.args["text"]  # the notification line: the day in words
    assert told.startswith("*Your team: 3 people*") and "<!date" not in told
    assert "Ben Buyer — no lesson answered since Wed, 2 Dec 2026" in told

    [detail] = await slack.fake.wait_for("response_url", name=await mia.command("ben", command="/team"))
    blocks = detail.text_of_blocks.removesuffix("\n" + detail.args["text"])
    assert f"last active {token}" in blocks
    assert "Dec 2026" not in blocks.replace(token, ""), "no date written on the server outside the token"
