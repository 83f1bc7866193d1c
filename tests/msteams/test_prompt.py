"""Teams feels alive and says something useful in notifications, over real HTTP on both databases: a
request is answered before its work is done (typing indicator first, the reply sent proactively), and
every message the bot sends has a `summary` (what the notification and chat list show instead of "Card")
and every card a `fallbackText`."""

from __future__ import annotations

import asyncio

from tests.support.fake_connector import TeamsBot, connector, teams
from tests.support.teams_calls import Call, submits
from tests.support.waiting import PATIENCE

__all__ = ["connector", "teams"]  # fixtures


async def test_a_slow_team_request_is_answered_before_its_work_is_done(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    await mia.say("hello")  # her first turn (identification) is behind her
    mark = len(teams.connector.calls)
    teams.connector.hold()  # Teams' connector stalls: nothing the bot sends gets through
    try:
        # answered while the connector holds everything the bot sends: the answer did not wait for the work
        status, _ = await asyncio.wait_for(mia.exchange(mia.activity("message", text="team"), settle=False),
                                           PATIENCE)
        assert status == 200 and teams.connector.sent(mia.conversation, after=mark) == []
        assert len(teams.later) == 1  # the turn is still working: the summary has not been sent
    finally:
        teams.connector.release()
    await teams.settle()
    calls = [c for c in teams.connector.calls[mark:] if c.conversation == mia.conversation and c.body]
    assert calls[0].typing  # "Coach is typing…" first
    [summary, *_] = teams.connector.sent(mia.conversation, after=mark)
    assert summary.body is not None and summary.body["summary"].startswith("Your team: 4 people")
    assert summary.body["replyToId"]  # a reply to what she typed, though sent after the request ended


def _assert_useful_notification(call: Call) -> None:
    body = call.body or {}
    assert body.get("summary") and body["summary"] != "Card", body
    for card in call.cards:
        assert card.get("fallbackText") == body["summary"]


async def test_every_message_and_card_has_a_summary_and_fallback_text(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    mark = len(teams.connector.calls)
    await ben.install()
    [lesson] = await ben.say("learn purchase order")
    answer = submits(lesson)[0]["data"]
    await ben.press(lesson, answer)
    for typed in ("help", "progress", "settings", "learn team", "pause", "resume", "zebra husbandry"):
        await ben.say(typed)
    mia = teams.user("29:mia", "Mia Manager")
    await mia.say("team")
    await mia.say("team ben@example.com")

    sent = [c for c in teams.connector.calls[mark:] if c.method in ("POST", "PUT") and c.body and not c.typing]
    assert len(sent) >= 12
    for call in sent:
        _assert_useful_notification(call)
    posted = teams.connector.sent(ben.conversation, after=mark)
    lesson_card = lesson.cards[0]
    title = lesson_card["body"][1]["text"]
    assert lesson.body is not None and lesson.body["summary"] == title  # the lesson's title
    assert any(c.body and c.body["summary"] in ("✅ Right!", "❌ Not quite.") for c in posted)
