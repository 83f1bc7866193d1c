"""Proactive lessons through the Teams courier (continue_conversation to the fake connector), and what
throttling does to proactive and interactive sends — on both databases."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.couriers import Courier, DeliveryError, Recipient
from bot.usecases.lessons import lesson_now
from store.models import ChatIdentity, Delivery
from tests.support.fake_connector import TENANT, TeamsBot, TeamsUser, connector, quick_teams, teams
from tests.support.teams_calls import submits

__all__ = ["connector", "quick_teams", "teams"]  # fixtures


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
    reply = await lesson_now(teams.coach, recipient.person_id, origin="scheduled")
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
    reply = await lesson_now(teams.coach, recipient.person_id, origin="scheduled")

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
    assert delivery.due_at == teams.coach.clock() + timedelta(seconds=30)
    assert "429" in (delivery.last_error or "")


async def test_a_lesson_sent_in_parts_is_recorded_by_its_question(teams: TeamsBot) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach, recipient.person_id, origin="scheduled")
    reply.messages[0] = dataclasses.replace(reply.messages[0], body="\n".join(f"- step {n}" for n in range(300)))
    mark = len(teams.connector.calls)
    sent = await courier.send(recipient, reply)
    parts = teams.connector.sent(ben.conversation, after=mark)
    assert len(parts) > 1 and submits(parts[-1]) and not any(submits(part) for part in parts[:-1])
    assert sent.message_ref == {"activity_id": parts[-1].answer_id, "conversation_id": ben.conversation}


@pytest.mark.parametrize("status", [412, 504])
async def test_412_and_504_are_retried_like_throttling(teams: TeamsBot, status: int) -> None:
    ben, recipient, courier = await _installed(teams, "29:ben", "ben@example.com")
    reply = await lesson_now(teams.coach, recipient.person_id, origin="scheduled")
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
    reply = await lesson_now(teams.coach, recipient.person_id, origin="scheduled")
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
    assert delivery.due_at > teams.coach.clock() and "not JSON" in (delivery.last_error or "")
