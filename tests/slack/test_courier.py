"""Proactive sends through the Slack courier: finding someone who never wrote, 429s handed back to the
dispatcher with Retry-After, people Slack does not know, long lessons resumed where a part failed — on SQLite
and PostgreSQL; and the Web API client's retries of 5xx answers and dropped connections."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.couriers import DeliveryError, Recipient
from bot.dispatch.attempts import Attempt
from bot.lessons.lessons import lesson_now
from bot.replies import LessonCard, Notice, Reply
from handlers.slack.app import web_client
from tests.support.fake_slack import DROP, TEAM, FakeSlack
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture


async def _scheduled(slack: SlackServer, email: str) -> Reply:
    reply = await lesson_now(slack.coach.services, slack.ids[email], origin="scheduled")
    assert isinstance(reply.messages[0], LessonCard)
    return Reply(messages=[Notice("👋 Hi, I'm your learning coach."), *reply.messages])


async def test_someone_who_never_wrote_is_found_by_email_and_can_answer(slack: SlackServer) -> None:
    courier = slack.courier
    gus = Recipient(person_id=slack.ids["gus@example.com"], email="gus@example.com", name="Gus Agent")
    assert courier.platform == "slack" and courier.can_reach(gus)
    assert courier.rate_key(gus) == courier.rate_key(Recipient(person_id=1, email="x@example.com", name="X"))

    reply = await _scheduled(slack, "gus@example.com")
    sent = await courier.send(gus, reply)
    assert slack.fake.calls_to("users.lookupByEmail", email="gus@example.com")
    welcome, lesson = slack.fake.calls_to("chat.postMessage", channel="DUGUS")
    assert "learning coach" in welcome.text_of_blocks
    assert sent.message_ref == {"channel": "DUGUS", "ts": lesson.ts}
    assert sent.learned == {"external_id": "UGUS", "address": {"channel": "DUGUS"},
                            "timezone": "America/Chicago"}  # from the Slack profile

    again = Recipient(person_id=gus.person_id, email=gus.email, name=gus.name, external_id="UGUS",
                      address={"channel": "DUGUS"}, workspace=TEAM)
    await courier.send(again, Reply(messages=[Notice("A gentle nudge")]))
    assert len(slack.fake.calls_to("users.lookupByEmail")) == 1 and len(slack.fake.calls_to("conversations.open")) == 1

    card = reply.messages[1]
    await slack.coach.sent(card.delivery_id, platform="slack", message_ref=sent.message_ref)
    await slack.person("UGUS").press(lesson.buttons()[0], lesson)
    [update] = await slack.fake.wait_for("chat.update", channel="DUGUS", ts=lesson.ts)
    assert "Your answer:" in update.text_of_blocks
    assert json.loads(lesson.buttons()[0]["value"])["d"] == card.delivery_id


async def test_rate_limits_and_unknown_people_become_delivery_errors(slack: SlackServer) -> None:
    courier = slack.courier
    ben = Recipient(person_id=slack.ids["ben@example.com"], email="ben@example.com", name="Ben", external_id="UBEN")
    slack.fake.fail("chat.postMessage", 429, times=3, retry_after=2)
    with pytest.raises(DeliveryError) as limited:
        await courier.send(ben, Reply(messages=[Notice("hello")]))
    assert limited.value.retry_after == 2 and not limited.value.permanent
    # handed straight back: the dispatcher's send budget holds the whole workspace, not this request alone
    assert [c.status for c in slack.fake.calls if c.method == "chat.postMessage"] == [429]

    del slack.fake.users["gus@example.com"]
    gus = Recipient(person_id=slack.ids["gus@example.com"], email="gus@example.com", name="Gus")
    with pytest.raises(DeliveryError) as unknown:
        await courier.send(gus, Reply(messages=[Notice("hello")]))
    assert unknown.value.permanent and "users_not_found" in str(unknown.value)
    assert not courier.can_reach(Recipient(person_id=9, email="", name="Nobody"))


async def test_a_long_lesson_whose_second_part_was_refused_is_resumed_at_that_part(slack: SlackServer) -> None:
    courier = slack.courier
    ben = Recipient(person_id=slack.ids["ben@example.com"], email="ben@example.com", name="Ben", external_id="UBEN",
                    address={"channel": "DUBEN"})
    reply = await lesson_now(slack.coach.services, ben.person_id, origin="scheduled")
    card = dataclasses.replace(reply.messages[0], kind="lesson",
                               body="\n\n".join(f"Step {n}. " + "Read this carefully. " * 140 for n in range(60)))
    slack.fake.fail("chat.postMessage", 429, every=2, retry_after=30)  # the second part is refused
    attempt = Attempt(courier.rate_key(ben))
    with pytest.raises(DeliveryError) as limited:
        await courier.send_attempt(ben, Reply(messages=[card]), attempt)
    assert limited.value.retry_after == 30 and len(attempt.posted) == 1
    sent = await courier.send_attempt(ben, Reply(messages=[card]), attempt)
    posts = slack.fake.calls_to("chat.postMessage", channel="DUBEN")
    assert len(posts) == 2 and posts[0].ts != posts[1].ts  # each part once: the first was not posted again
    assert sent.message_ref == {"channel": "DUBEN", "ts": posts[1].ts}  # the part with the answer buttons
    assert posts[1].buttons() and not posts[0].buttons()


async def test_the_web_client_retries_any_5xx_and_a_dropped_connection() -> None:
    fake = await FakeSlack().start()
    config = Settings(_env_file=None, slack_bot_token=SecretStr("xoxb-test"), slack_api_url=fake.url)  # type: ignore[call-arg]
    client = web_client(config)
    try:
        for fault in (502, 504, DROP):
            fake.fail("chat.postMessage", fault, times=1)
            answer = await client.chat_postMessage(channel="D1", text=f"after {fault}")
            assert answer["ok"]
    finally:
        await fake.stop()
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [502, 200, 504, 200, DROP, 200]
