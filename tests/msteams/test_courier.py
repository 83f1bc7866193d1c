"""Proactive lessons through the Teams courier (continue_conversation to the fake connector), and what
throttling does to proactive and interactive sends — on both databases."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.couriers import Courier, DeliveryError, Recipient
from bot.dispatch.attempts import Attempt
from bot.dispatch.dispatcher import Dispatcher
from bot.lessons.lessons import lesson_now
from store.models import ChatIdentity, Delivery, LearnerSettings
from tests.support.dispatching import SimulatedTime
from tests.support.fake_connector import TENANT, FakeConnector, TeamsBot, TeamsUser, quick_teams, teams
from tests.support.teams_calls import Call, submits

__all__ = ["quick_teams", "teams"]  # fixtures


class TimedConnector(FakeConnector):
    """The fake connector, also noting when (seconds on `clock`) each call arrived."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrived: list[float] = []
        self.clock: Callable[[], float] = time.monotonic

    def _record(self, call: Call) -> None:  # called on the connector's one thread, in order
        super()._record(call)
        self.arrived.append(self.clock())


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeConnector]:
    fake = TimedConnector().start()
    yield fake
    fake.stop()


async def _installed(teams: TeamsBot, user_id: str, email: str) -> tuple[TeamsUser, Recipient, Courier]:
    user = teams.user(user_id, email.split("@")[0].title())
    await user.install()
    person_id = teams.ids[email]
    async with teams.db.session() as session:
        identity = (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == person_id,
                                                              ChatIdentity.platform == "teams"))).one()
    recipient = Recipient(person_id=person_id, email=email, name=user.name, external_id=identity.external_id,
                          address=identity.address, workspace=identity.workspace)
    return user, recipient, teams.platforms.couriers["teams"]


async def test_a_lesson_reaches_the_learner_proactively_and_can_be_answered(teams: TeamsBot) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    assert courier.platform == "teams" and courier.can_reach(recipient)
    assert courier.rate_key(recipient) == TENANT

    mark = len(teams.connector.calls)
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")
    sent = await courier.send(recipient, reply)
    [lesson] = teams.connector.sent(ben.conversation, after=mark)
    assert sent.message_ref == {"activity_id": lesson.answer_id, "conversation_id": ben.conversation}
    option = submits(lesson)[0]
    assert option["data"]["action"] == "answer"

    updated, [result] = await ben.press(lesson, option["data"])
    assert updated and ("Right!" in result.text or "Not quite" in result.text)

    stranger = Recipient(person_id=recipient.person_id, email="ben@example.com", name="Ben")
    assert not courier.can_reach(stranger)
    with pytest.raises(DeliveryError) as refused:
        await courier.send(stranger, reply)
    assert refused.value.permanent


async def test_throttling_is_retried_briefly_then_handed_to_the_dispatcher(teams: TeamsBot) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")

    mark = len(teams.connector.calls)
    teams.connector.fail(429, times=1, retry_after="0")
    teams.connector.fail(502, times=1, retry_after="0")
    await courier.send(recipient, reply)
    assert [c.status for c in teams.connector.attempts(ben.conversation, after=mark)] == [429, 502, 200]

    mark = len(teams.connector.calls)
    teams.connector.fail(429, times=5, retry_after="30")
    with pytest.raises(DeliveryError) as throttled:
        await courier.send(recipient, reply)
    assert throttled.value.retry_after == 30 and not throttled.value.permanent
    assert [c.status for c in teams.connector.attempts(ben.conversation, after=mark)] == [429]

    teams.connector.clear_failures()
    teams.connector.fail(403)  # e.g. the person blocked the bot
    with pytest.raises(DeliveryError) as blocked:
        await courier.send(recipient, reply)
    assert blocked.value.permanent


async def test_a_throttled_interactive_lesson_goes_back_to_the_dispatcher(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    teams.connector.fail(429, times=5, retry_after="30")
    assert await ben.say("learn") == []
    async with teams.db.session() as session:
        [delivery] = (await session.exec(select(Delivery).where(Delivery.person_id == teams.ids["ben@example.com"])
                                         )).all()
    assert delivery.status == "pending" and delivery.claimed_by is None
    assert delivery.due_at == teams.coach.services.clock() + timedelta(seconds=30)
    assert "429" in (delivery.last_error or "")


async def test_a_lesson_sent_in_parts_is_recorded_by_its_question(teams: TeamsBot) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")
    reply.messages[0] = dataclasses.replace(reply.messages[0], body="\n".join(f"- step {n}" for n in range(300)))
    mark = len(teams.connector.calls)
    sent = await courier.send(recipient, reply)
    parts = teams.connector.sent(ben.conversation, after=mark)
    assert len(parts) > 1 and submits(parts[-1]) and not any(submits(part) for part in parts[:-1])
    assert sent.message_ref == {"activity_id": parts[-1].answer_id, "conversation_id": ben.conversation}


@pytest.mark.parametrize("status", [412, 504])
async def test_412_and_504_are_retried_like_throttling(teams: TeamsBot, status: int) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")
    mark = len(teams.connector.calls)
    teams.connector.fail(status, times=2, retry_after="0")
    sent = await courier.send(recipient, reply)
    attempts = teams.connector.attempts(ben.conversation, after=mark)
    assert [c.status for c in attempts] == [status, status, 200]
    assert sent.message_ref["activity_id"] == attempts[-1].answer_id


async def test_a_gateway_error_page_is_retried_then_handed_to_the_dispatcher(quick_teams: TeamsBot) -> None:
    """A proxy in front of the connector answering with HTML (which the SDK can't even read) is an outage
    like a 502 in JSON: retried, then handed back with a delay — proactive and interactive alike."""
    teams = quick_teams
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")
    mark = len(teams.connector.calls)
    teams.connector.fail(502, times=1, html=True)
    await courier.send(recipient, reply)
    assert [c.status for c in teams.connector.attempts(ben.conversation, after=mark)] == [502, 200]

    mark = len(teams.connector.calls)
    teams.connector.fail(502, times=10, html=True)
    with pytest.raises(DeliveryError) as failing:
        await courier.send(recipient, reply)
    assert failing.value.retry_after is not None and not failing.value.permanent
    assert len(teams.connector.attempts(ben.conversation, after=mark)) == 4  # Backoff.attempts

    teams.connector.clear_failures()
    teams.connector.fail(502, times=1, html=True)
    [lesson] = await ben.say("learn")
    assert submits(lesson) and "Sorry" not in lesson.text

    teams.connector.fail(502, times=10, html=True)
    assert await ben.say("learn purchase order") == []
    async with teams.db.session() as session:
        [delivery] = (await session.exec(select(Delivery).where(Delivery.origin == "topic"))).all()
    assert delivery.status == "pending" and delivery.claimed_by is None  # not stuck in `sending` for a lease
    assert delivery.due_at > teams.coach.services.clock() and "not JSON" in (delivery.last_error or "")


class ThrottledSecondPart(Attempt):
    """A try whose second part the connector throttles, the first time it is posted."""

    def __init__(self, key: str, connector: FakeConnector) -> None:
        super().__init__(key)
        self.connector = connector
        self.throttled = False

    async def post(self, index: int, call: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        if index == 1 and not self.throttled:
            self.throttled = True
            self.connector.fail(429, times=1, retry_after="30")
        return await super().post(index, call)


async def test_a_long_lesson_throttled_half_way_is_resumed_at_the_throttled_part(teams: TeamsBot) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach.services, recipient.person_id, origin="scheduled")
    reply.messages[0] = dataclasses.replace(reply.messages[0], body="\n".join(f"- step {n}" for n in range(300)))
    attempt = ThrottledSecondPart(courier.rate_key(recipient), teams.connector)
    mark = len(teams.connector.calls)
    with pytest.raises(DeliveryError) as throttled:
        await courier.send_attempt(recipient, reply, attempt)  # type: ignore[attr-defined]
    assert throttled.value.retry_after == 30 and len(attempt.posted) == 1  # handed back at once, not slept on
    sent = await courier.send_attempt(recipient, reply, attempt)  # type: ignore[attr-defined]
    parts = teams.connector.sent(ben.conversation, after=mark)
    assert len(parts) == len(attempt.posted) > 1  # the first part was not posted again
    assert sent.message_ref["activity_id"] == parts[-1].answer_id


async def test_a_throttle_holds_the_whole_tenant_for_its_retry_after(teams: TeamsBot) -> None:
    names = ["ben", "mia", "dana", "omar", "cara", "eli", "fay", "gus"]
    for name in names:
        teams.connector.members[f"29:{name}"] = {"id": f"29:{name}", "name": name.title(),
                                                 "email": f"{name}@example.com"}
        await teams.user(f"29:{name}", name.title()).install()
    async with teams.db.session() as session:  # everyone's slot has passed and their window is open
        await session.exec(update(LearnerSettings).values(
            days="1234567", window_start="00:00", window_end="23:59", timezone="Etc/GMT-8",
            next_slot_at=teams.coach.services.clock() - timedelta(minutes=1)))
    config = teams.coach.services.config.model_copy(update={"dispatch_concurrency": 2, "sends_per_second": 4})
    simulated = SimulatedTime()  # the budget's pace and holds on a clock the machine's load cannot stretch
    dispatcher = Dispatcher(teams.coach.services, teams.platforms.couriers, config, timer=simulated)
    connector = teams.connector
    assert isinstance(connector, TimedConnector)
    mark = len(connector.calls)
    connector.fail(429, times=1, retry_after="2")
    connector.clock = simulated.elapsed
    try:
        report = await dispatcher.tick()
    finally:
        connector.clock = time.monotonic
    calls = list(zip(connector.calls[mark:], connector.arrived[mark:], strict=True))
    [refused] = [at for call, at in calls if call.status == 429]
    posts = [at for call, at in calls if call.status == 200 and call.method == "POST"]
    assert report.sent == len(names) and len(posts) == len(names)
    assert [at - refused for at in posts if refused + 0.3 < at < refused + 1.95] == []
