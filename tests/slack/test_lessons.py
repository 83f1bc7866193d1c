"""Lessons in Slack over real HTTP: `/learn` to the DM, answering, double clicks, next lesson, feedback,
topics, reflections, and Slack refusing posts — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import col, select

from bot.metrics import REGISTRY
from store.models import Answer, Delivery, LessonFeedback, Question
from tests.support.fake_slack import Call
from tests.support.slack_session import SlackServer, SlackUser, button, slack

__all__ = ["slack"]  # fixture


async def _lesson_via_command(slack: SlackServer, user: SlackUser, text: str = "") -> Call:
    await user.command(text)
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=user.dm)
    return lesson


async def _question(slack: SlackServer, delivery_id: int) -> Question:
    async with slack.coach.services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.question_id is not None
        question = await session.get(Question, delivery.question_id)
        assert question is not None
        return question


async def _answers(slack: SlackServer) -> list[Answer]:
    async with slack.coach.services.database.session() as session:
        return list((await session.exec(select(Answer))).all())


async def test_learn_in_a_channel_sends_the_lesson_to_the_dm_and_says_so_privately(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    name = await ben.command("", channel="C0GENERAL")
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    [note] = await slack.fake.wait_for("response_url", name=name)
    await slack.settle()

    assert slack.fake.calls_to("conversations.open", users="UBEN")
    assert not [c for c in slack.fake.calls_to("chat.postMessage") if not c.args["channel"].startswith("D")]
    assert note.args["response_type"] == "ephemeral"
    assert "Sent to your DM" in note.text_of_blocks

    blocks = lesson.args["blocks"]
    assert blocks[0]["type"] == "header"
    assert " · level " in lesson.text_of_blocks and " min" in lesson.text_of_blocks
    answer_buttons = [b for b in lesson.buttons() if b["action_id"].startswith("coach.answer.")]
    value = json.loads(answer_buttons[0]["value"])
    question = await _question(slack, value["d"])
    assert all(o["text"] in lesson.text_of_blocks for o in question.options)
    assert len(answer_buttons) == len(question.options)
    assert [json.loads(b["value"]) for b in answer_buttons] == [{"d": value["d"], "o": i}
                                                                 for i in range(len(question.options))]
    async with slack.coach.services.database.session() as session:
        delivery = await session.get(Delivery, value["d"])
    assert delivery is not None and delivery.status == "sent" and delivery.platform == "slack"
    assert delivery.message_ref == {"channel": ben.dm, "ts": lesson.ts}


async def test_an_answer_updates_the_card_and_a_double_click_counts_once(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    lesson = await _lesson_via_command(slack, ben)
    first = lesson.buttons()[0]
    delivery_id = json.loads(first["value"])["d"]
    question = await _question(slack, delivery_id)

    await asyncio.gather(ben.press(first, lesson), ben.press(first, lesson))
    await slack.settle()

    updates = slack.fake.calls_to("chat.update", channel=ben.dm, ts=lesson.ts)
    assert len(updates) == 2 and all(u.buttons() == [] for u in updates)
    assert f"Your answer: *{question.options[0]['text']}*" in updates[0].text_of_blocks
    results = [c for c in slack.fake.calls_to("chat.postMessage", channel=ben.dm) if c is not lesson]
    assert len(results) == 1
    right = bool(question.options[0].get("correct"))
    assert ("Right!" if right else "Not quite.") in results[0].text_of_blocks
    assert question.explain.split()[0] in results[0].text_of_blocks
    labels = [b["text"]["text"] for b in results[0].buttons()]
    assert labels[0] == "Next lesson" and {"Too easy", "Too hard", "Not relevant"} <= set(labels)
    assert [(a.delivery_id, a.choice, a.via) for a in await _answers(slack)] == [(delivery_id, 0, "slack")]


async def test_next_lesson_once_per_click_and_feedback_is_recorded(slack: SlackServer) -> None:
    cara = slack.person("UCARA")
    lesson = await _lesson_via_command(slack, cara)
    await cara.press(lesson.buttons()[-1], lesson)
    [_, result] = await slack.fake.wait_for("chat.postMessage", 2, channel=cara.dm)

    await asyncio.gather(cara.press(button(result, "Next lesson"), result),
                         cara.press(button(result, "Next lesson"), result))
    await slack.settle()
    posted = slack.fake.calls_to("chat.postMessage", channel=cara.dm)
    assert len(posted) == 3
    second = posted[2]
    assert json.loads(second.buttons()[0]["value"])["d"] != json.loads(lesson.buttons()[0]["value"])["d"]

    await cara.press(button(result, "Too easy"), result)
    [thanks] = await slack.fake.wait_for("chat.postEphemeral", channel=cara.dm, user="UCARA")
    assert "harder lessons" in thanks.text_of_blocks
    async with slack.coach.services.database.session() as session:
        feedback = (await session.exec(select(LessonFeedback))).all()
    assert [(f.rating, f.person_id) for f in feedback] == [("too_easy", slack.ids["cara@example.com"])]


async def test_learn_a_topic_and_a_topic_with_no_lesson(slack: SlackServer) -> None:
    eli = slack.person("UELI")
    counted = _topic_lessons_counted()
    lesson = await _lesson_via_command(slack, eli, "purchase order approval")
    delivery_id = json.loads(lesson.buttons()[0]["value"])["d"]
    async with slack.coach.services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None and delivery.origin == "topic"
    await slack.settle()
    assert _topic_lessons_counted() == counted + 1  # counted by the delivery's origin

    name = await eli.command("zebra husbandry")
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert "zebra husbandry" in answer.text_of_blocks and answer.args["response_type"] == "ephemeral"


def _topic_lessons_counted() -> float:
    return REGISTRY.get_sample_value("coach_lessons_sent_total", {"platform": "slack", "origin": "topic"}) or 0.0


async def test_a_vague_topic_offers_the_closest_three_and_a_reflection_picked_is_written_in_a_modal(
        slack: SlackServer) -> None:
    mia = slack.person("UMIA")
    name = await mia.command("reflect", channel=mia.dm)  # matches no lesson well
    [offer] = await slack.fake.wait_for("response_url", name=name)
    assert "not sure which lesson fits “reflect”" in offer.text_of_blocks
    offered = offer.buttons()
    assert len(offered) == 3 and all(b["action_id"].startswith("coach.lesson.") for b in offered)
    assert len({b["value"] for b in offered}) == 3
    await mia.press(button(offer, "Whose voice is missing in your team?"),
                    ephemeral_url=slack.fake.response_url("closest"))
    [card] = await slack.fake.wait_for("chat.postMessage", channel=mia.dm)
    assert card.args["blocks"][0]["type"] == "header" and "Whose voice is missing" in card.text_of_blocks
    write = button(card, "Write my reflection")
    assert write["action_id"] == "slack.reflect"

    await mia.press(write, card)
    [modal] = await slack.fake.wait_for("views.open")
    assert modal.args["trigger_id"].startswith("trigger-press")
    empty = await mia.submit(modal, {"reflection": {"type": "plain_text_input", "value": "  "}})
    assert empty.json()["response_action"] == "errors" and "reflection" in empty.json()["errors"]

    saved = await mia.submit(modal, {"reflection": {"type": "plain_text_input",
                                                     "value": "I gave it by chat; next time I'll talk first."}})
    assert saved.status == 200 and not saved.text
    [update] = await slack.fake.wait_for("chat.update", channel=mia.dm, ts=card.ts)
    assert "talk first" in update.text_of_blocks and update.buttons() == []
    [_, thanks] = await slack.fake.wait_for("chat.postMessage", 2, channel=mia.dm)
    assert "reflection is saved" in thanks.text_of_blocks
    async with slack.coach.services.database.session() as session:
        rows = (await session.exec(select(Answer).where(col(Answer.text).is_not(None)))).all()
    assert [(r.person_id, r.text, r.correct) for r in rows] == [
        (slack.ids["mia@example.com"], "I gave it by chat; next time I'll talk first.", None)]


async def test_a_429_from_slack_is_retried_after_retry_after(slack: SlackServer) -> None:
    fay = slack.person("UFAY")
    slack.fake.fail("chat.postMessage", 429, times=1, retry_after=0)
    lesson = await _lesson_via_command(slack, fay)
    tries = [c for c in slack.fake.calls if c.method == "chat.postMessage" and c.args.get("channel") == fay.dm]
    assert [c.status for c in tries] == [429, 200] and tries[0].args["blocks"] == lesson.args["blocks"]
    await slack.settle()
    async with slack.coach.services.database.session() as session:
        delivery = (await session.exec(select(Delivery))).one()
    assert delivery.status == "sent"


async def test_a_lesson_slack_keeps_refusing_is_kept_for_the_dispatcher(slack: SlackServer) -> None:
    fay = slack.person("UFAY")
    slack.fake.fail("chat.postMessage", 500, times=3)
    name = await fay.command("")
    [sorry] = await slack.fake.wait_for("response_url", name=name)
    await slack.settle()
    assert "couldn't post the lesson" in sorry.text_of_blocks
    assert [c.status for c in slack.fake.calls if c.method == "chat.postMessage"] == [500, 500, 500]
    async with slack.coach.services.database.session() as session:
        delivery = (await session.exec(select(Delivery))).one()
    assert delivery.status == "pending" and delivery.claimed_by is None and "500" in (delivery.last_error or "")
    assert delivery.due_at > slack.coach.services.clock()


async def test_a_lessons_notification_names_it_once_and_says_what_it_asks(slack: SlackServer) -> None:
    """What a phone's notification shows is the message's `text`: the title once (the header block already
    shows it), what kind of lesson, and the question; once answered, that it was answered."""
    ben = slack.person("UBEN")
    lesson = await _lesson_via_command(slack, ben)
    title = lesson.args["blocks"][0]["text"]["text"]  # "📖 <title>"
    delivery_id = json.loads(lesson.buttons()[0]["value"])["d"]
    question = await _question(slack, delivery_id)
    text = lesson.args["text"]
    assert text.startswith(f"{title} · ") and text.count(title) == 1
    async with slack.coach.services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None
    kind = {"review": "Quick review on ", "placement": "Quick check on "}.get(delivery.kind, "-minute lesson on ")
    assert kind in text and question.ask[:40] in text
    assert "\n" not in text and len(text) <= 300

    await ben.press(lesson.buttons()[0], lesson)
    await slack.settle()
    [update] = slack.fake.calls_to("chat.update", channel=ben.dm, ts=lesson.ts)
    assert update.args["text"] == f"{title} — answered"
