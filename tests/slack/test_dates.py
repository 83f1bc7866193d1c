"""Dates in Slack messages, over real HTTP on both databases: each is Slack's date token, which every client
shows in its reader's own zone and language, with a fallback in words in the learner's zone; the message's
notification text names the date in words, never as a token."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.replies import Moment
from handlers.slack.mrkdwn import date_token, unlinked
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
