"""The request pipeline every platform shares (identify → once → use case → show → record → metrics), driven
through the in-process test platform on SQLite and PostgreSQL: no HTTP, the real coach and database."""

from __future__ import annotations

from datetime import timedelta

from bot.couriers import DeliveryError
from bot.metrics import ANSWERS, LESSONS_SENT, SEND_FAILURES
from bot.replies import AnswerResult, Button, LessonCard
from store.models import Delivery, Person
from tests.support.learner import option_for
from tests.support.org import load_sample_org
from tests.support.testbot import PLATFORM, TestPlatform


def _count(counter, *labels: str) -> float:
    return counter.labels(*labels)._value.get()


async def test_a_lesson_asked_for_is_shown_recorded_as_sent_and_counted(db, testbot: TestPlatform, tmp_path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = testbot.person(ids["ben@example.com"])
    before = _count(LESSONS_SENT, PLATFORM, "on_demand")

    [card] = await ben.say("")

    assert isinstance(card, LessonCard)
    async with db.session() as session:
        delivery = await session.get(Delivery, card.delivery_id)
    assert delivery is not None and delivery.status == "sent" and delivery.platform == PLATFORM
    assert delivery.message_ref == {"index": 0}, "where it landed is kept, for updating the card later"
    assert _count(LESSONS_SENT, PLATFORM, "on_demand") == before + 1


async def test_an_answer_replaces_the_card_and_is_counted_once_whatever_is_shown(db, testbot, tmp_path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = testbot.person(ids["ben@example.com"])
    [card] = await ben.say("")
    right = await option_for(testbot.coach, card, True)
    before = _count(ANSWERS, PLATFORM, "true")

    shown = await ben.answer(card, right)
    again = await ben.answer(card, right)  # the same press twice: the first result, nothing counted twice

    assert [type(item) for item in ben.replaced] == [LessonCard, LessonCard]
    assert ben.replaced[0].answered, "the answered card replaces the one pressed"
    assert any(isinstance(item, AnswerResult) and item.correct for item in shown)
    assert _count(ANSWERS, PLATFORM, "true") == before + 1 + sum(isinstance(i, AnswerResult) for i in again)


async def test_a_lesson_the_platform_refuses_goes_back_to_the_dispatcher(db, testbot, tmp_path, clock) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = testbot.person(ids["ben@example.com"])
    ben.refuse_lessons = DeliveryError("429 ratelimited", retry_after=300)
    before = _count(SEND_FAILURES, PLATFORM, "handed_back")

    shown = await ben.say("")

    assert shown == [] and len(ben.deferred) == 1, "nothing shown, and the person is told it will follow"
    async with db.session() as session:
        delivery = await session.get(Delivery, ben.deferred[0].delivery_id)
    assert delivery is not None and delivery.status == "pending" and delivery.claimed_by is None
    assert delivery.due_at - clock.now == timedelta(seconds=300), "the platform's Retry-After is honoured"
    assert _count(SEND_FAILURES, PLATFORM, "handed_back") == before + 1


async def test_someone_not_in_the_org_chart_reaches_no_use_case(db, testbot, tmp_path) -> None:
    ids = await load_sample_org(db, tmp_path)
    async with db.session() as session:
        person = await session.get(Person, ids["ben@example.com"])
        assert person is not None
        person.active = False  # left the company
        session.add(person)
    ben = testbot.person(ids["ben@example.com"])

    assert await ben.say("") == []
    async with db.session() as session:
        rows = (await session.exec(Delivery.__table__.select())).all()
    assert rows == [], "no lesson was created for someone who has left"


async def test_a_keyed_request_acts_once_across_repeats(db, testbot, tmp_path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = testbot.person(ids["ben@example.com"])
    next_button = Button("Lesson now", "next", {})

    first = await ben.press(next_button, once="test:press:welcome:next")
    second = await ben.press(next_button, once="test:press:welcome:next")

    assert [type(item) for item in first] == [LessonCard] and second == [], "a double click sends one lesson"
