"""Teams, end to end over real HTTP: activities posted to the running server, replies recorded by a fake
Bot Framework connector on loopback. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import select

from bot.metrics import REGISTRY
from store.db import Database
from store.models import Answer, ChatIdentity, Delivery, LearnerSettings, Lesson, LessonVersion, Question
from tests.support.fake_connector import AAD_HAL, TEAMS_LIMIT, TENANT, TeamsBot, TeamsUser, connector, teams
from tests.support.teams_calls import Call, submits

__all__ = ["connector", "teams"]  # fixtures: the module's fake connector, the server under test


async def _identity(db: Database, person_id: int) -> ChatIdentity | None:
    async with db.session() as session:
        return (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == person_id,
                                                              ChatIdentity.platform == "teams"))).first()


async def test_install_stores_the_reference_and_welcomes(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer", aad_id="aad-ben")
    sent = await ben.install()
    assert len(sent) == 1 and "Hi Ben," in sent[0].text and "learn" in sent[0].text
    assert sent[0].activity_id is None or sent[0].activity_id.startswith("in-")
    identity = await _identity(teams.db, teams.ids["ben@example.com"])
    assert identity is not None and identity.workspace == TENANT and identity.alt_id == "aad-ben"
    assert identity.address is not None
    assert identity.address["serviceUrl"] == teams.connector.url
    assert identity.address["conversation"]["id"] == ben.conversation
    assert identity.address.get("activityId") is None


async def test_a_second_install_is_not_a_second_introduction(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer", aad_id="aad-ben")
    first = await ben.install()
    again = await ben.install()
    assert "I'm your learning coach" in first[0].text
    assert len(again) == 1 and "Welcome back, Ben" in again[0].text and "learning coach" not in again[0].text
    async with teams.db.session() as session:
        settings = await session.get(LearnerSettings, teams.ids["ben@example.com"])
    assert settings is not None and settings.welcomed_at is not None  # the dispatcher will not welcome again


async def test_conversation_update_greets_a_person_not_the_bot(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    mark = len(teams.connector.calls)
    assert await mia.post(mia.activity("conversationUpdate", membersAdded=[{"id": "28:coach-bot"}])) == 200
    assert teams.connector.sent(mia.conversation, after=mark) == []
    assert await mia.post(mia.activity("conversationUpdate", membersAdded=[{"id": "29:mia"}])) == 200
    greeted = teams.connector.sent(mia.conversation, after=mark)
    assert len(greeted) == 1 and "Hi Mia," in greeted[0].text


async def test_people_are_matched_by_aad_id_or_by_email_and_strangers_told_kindly(teams: TeamsBot) -> None:
    hal = teams.user("29:hal-device", "Hal", aad_id=AAD_HAL)
    assert "Hi Hal," in (await hal.install())[0].text

    teams.connector.members["29:gus"] = {"id": "29:gus", "name": "Gus", "email": "gus@example.com",
                                         "userPrincipalName": "gus@example.com"}
    gus = teams.user("29:gus", "Gus Agent")
    assert "Hi Gus," in (await gus.install())[0].text
    identity = await _identity(teams.db, teams.ids["gus@example.com"])
    assert identity is not None and identity.external_id == "29:gus"

    stranger = teams.user("29:stranger", "Sam Stranger")  # the connector doesn't know them: 404 on lookup
    reply = await stranger.say("learn")
    assert len(reply) == 1 and "couldn't find you in the org chart" in reply[0].text
    teams.connector.members["29:outsider"] = {"id": "29:outsider", "email": "someone@elsewhere.org"}
    assert "couldn't find you" in (await teams.user("29:outsider").say("hi"))[0].text


async def _first_question(db: Database, delivery_id: int) -> tuple[int, list[dict]]:
    async with db.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.question_id is not None
        question = await session.get(Question, delivery.question_id)
        assert question is not None
        return delivery.id or 0, question.options


async def test_lesson_answer_update_and_double_submit(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    buttons = submits(lesson)
    assert buttons and all(b["data"]["action"] == "answer" for b in buttons)
    delivery_id = buttons[0]["data"]["value"]["d"]
    _, options = await _first_question(teams.db, delivery_id)
    assert [b["title"] for b in buttons] == [o["text"] for o in options]
    card = lesson.cards[0]
    assert "level" in card["body"][0]["text"] and card["body"][1]["size"] == "Large"
    async with teams.db.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == "sent" and delivery.platform == "teams"
        assert delivery.message_ref == {"activity_id": lesson.answer_id, "conversation_id": ben.conversation}

    wrong = next(i for i, o in enumerate(options) if not o.get("correct"))
    updated, posted = await ben.press(lesson, buttons[wrong]["data"])
    assert [u.activity_id for u in updated] == [lesson.answer_id]
    assert submits(updated[0]) == [] and f"Your answer: **{options[wrong]['text']}**" in updated[0].text
    [result] = posted
    assert "Not quite" in result.text
    right = next(o["text"] for o in options if o.get("correct"))
    assert right in result.text
    titles = [b["title"] for b in submits(result)]
    assert "Next lesson" in titles and "Too hard" in titles

    updated, posted = await ben.press(lesson, buttons[wrong]["data"])  # pressed again: counts once
    assert len(updated) == 1 and posted == []
    right_index = next(i for i, o in enumerate(options) if o.get("correct"))
    _, posted = await ben.press(lesson, buttons[right_index]["data"])  # a late change of mind is not graded
    assert posted == []
    async with teams.db.session() as session:
        answers = (await session.exec(select(Answer).where(Answer.delivery_id == delivery_id))).all()
    assert len(answers) == 1 and answers[0].correct is False and answers[0].via == "teams"

    next_lesson = next(b for b in submits(result) if b["title"] == "Next lesson")
    _, [another] = await ben.press(result, next_lesson["data"])
    assert submits(another)[0]["data"]["value"]["d"] != delivery_id


async def test_reflection_collects_text(teams: TeamsBot) -> None:
    async with teams.db.session() as session:
        reflection = (await session.exec(select(Lesson).where(Lesson.format == "reflection"))).first()
    assert reflection is not None
    cara = teams.user("29:cara", "Cara")
    teams.connector.members["29:cara"] = {"id": "29:cara", "email": "cara@example.com"}
    mark = len(teams.connector.calls)
    assert await cara.post(cara.activity("message", value={"action": "lesson", "value": {"l": reflection.id}})) == 200
    [card] = teams.connector.sent(cara.conversation, after=mark)
    inputs = [e for e in card.cards[0]["body"] if e["type"] == "Input.Text"]
    [send] = submits(card)
    assert inputs and inputs[0]["id"] == "text" and send["data"]["action"] == "reflect"
    updated, posted = await cara.press(card, {**send["data"], "text": "I will ask Finance earlier next time."})
    assert "I will ask Finance earlier" in updated[0].text and submits(updated[0]) == []
    async with teams.db.session() as session:
        version = await session.get(LessonVersion, reflection.current_version_id)
    assert version is not None and version.prompt
    assert version.prompt in card.texts and version.prompt in updated[0].texts  # answered, the prompt stays
    assert "reflection is saved" in posted[0].text
    async with teams.db.session() as session:
        answer = (await session.exec(select(Answer).where(Answer.person_id == teams.ids["cara@example.com"]))).one()
    assert answer.text == "I will ask Finance earlier next time."


async def test_next_lesson_and_a_topic_pick_send_one_lesson_however_often_pressed(teams: TeamsBot) -> None:
    counted = {origin: _lessons_counted(origin) for origin in ("on_demand", "topic")}
    ben = teams.user("29:ben", "Ben Buyer")
    [welcome] = await ben.install()
    [first] = [b["data"] for b in submits(welcome) if b["data"]["action"] == "next"]
    mark = len(teams.connector.calls)
    await asyncio.gather(ben.press(welcome, first), ben.press(welcome, first))  # a double click
    await ben.press(welcome, first)  # and once more later
    assert len(teams.connector.sent(ben.conversation, after=mark)) == 1

    closest = Call("POST", "", ben.conversation, None, None, 200, answer_id="activity-closest")  # topic offers
    pick = {"action": "lesson", "value": {"l": "feedback-reflect-on-your-feedback"}}
    other = {"action": "lesson", "value": {"l": "inclusion-captions"}}
    mark = len(teams.connector.calls)
    await asyncio.gather(ben.press(closest, pick), ben.press(closest, pick))
    await ben.press(closest, other)  # another offer on the same card is a lesson of its own
    async with teams.db.session() as session:
        picked = (await session.exec(select(Delivery.lesson_id).where(Delivery.origin == "topic"))).all()
    assert sorted(picked) == ["feedback-reflect-on-your-feedback", "inclusion-captions"]
    assert len(teams.connector.sent(ben.conversation, after=mark)) == 2

    gus_id = "29:1" + "Xq7" * 55  # a long id: the claim's key is longer than its column
    teams.connector.members[gus_id] = {"id": gus_id, "email": "gus@example.com"}
    gus = teams.user(gus_id, "Gus Agent")
    [hello] = await gus.install()
    [first] = [b["data"] for b in submits(hello) if b["data"]["action"] == "next"]
    mark = len(teams.connector.calls)
    await asyncio.gather(gus.press(hello, first), gus.press(hello, first))
    assert len(teams.connector.sent(gus.conversation, after=mark)) == 1
    # the metrics count each lesson once, by its delivery's origin
    assert {origin: _lessons_counted(origin) - before for origin, before in counted.items()} == {
        "on_demand": 2, "topic": 2}


def _lessons_counted(origin: str) -> float:
    return REGISTRY.get_sample_value("coach_lessons_sent_total", {"platform": "teams", "origin": origin}) or 0.0


async def _lesson_pressed(teams: TeamsBot, user: TeamsUser, lesson_id: str) -> list[Call]:
    """Ask for one lesson (a topic pick); returns the messages it arrived in."""
    mark = len(teams.connector.calls)
    assert await user.post(user.activity("message", value={"action": "lesson", "value": {"l": lesson_id}})) == 200
    return teams.connector.sent(user.conversation, after=mark)


async def test_a_heading_in_a_lesson_is_shown_as_a_heading(teams: TeamsBot) -> None:
    [card] = await _lesson_pressed(teams, teams.user("29:ben", "Ben Buyer"), "inclusion-captions")
    body = card.cards[0]["body"]
    assert {"type": "TextBlock", "text": "Use it at work", "weight": "Bolder", "size": "Medium", "wrap": True,
            "spacing": "Medium"} in body
    assert not [t for t in card.texts if t.lstrip().startswith("#")]


async def test_a_lesson_too_large_for_one_teams_message_arrives_in_parts(teams: TeamsBot) -> None:
    async with teams.db.session() as session:
        lesson = await session.get(Lesson, "inclusion-captions")
        assert lesson is not None
        version = await session.get(LessonVersion, lesson.current_version_id)
        assert version is not None
        version.body = "Before you publish:\n\n" + "\n".join(f"- [ ] caption check {n}" for n in range(300))
        session.add(version)
    ben = teams.user("29:ben", "Ben Buyer")
    parts = await _lesson_pressed(teams, ben, "inclusion-captions")
    assert len(parts) > 1
    assert all(len(json.dumps(part.body)) < TEAMS_LIMIT for part in parts)  # as the connector received them
    assert "caption check 0" in parts[0].text and "caption check 299" in parts[-2].text
    assert [submits(part) for part in parts[:-1]] == [[]] * (len(parts) - 1)
    buttons = submits(parts[-1])
    assert buttons and all(b["data"]["action"] == "answer" for b in buttons)
    delivery_id = buttons[0]["data"]["value"]["d"]
    async with teams.db.session() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None and delivery.message_ref == {"activity_id": parts[-1].answer_id,
                                                             "conversation_id": ben.conversation}

    updated, _ = await ben.press(parts[-1], buttons[0]["data"])
    assert [u.activity_id for u in updated] == [parts[-1].answer_id] and submits(updated[0]) == []
    assert "Your answer:" in updated[0].text and "caption check" not in updated[0].text


async def test_six_presses_at_once_grade_once_and_answer_once(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    buttons = submits(lesson)
    mark = len(teams.connector.calls)
    await asyncio.gather(*(ben.press(lesson, buttons[n % len(buttons)]["data"]) for n in range(6)))
    results = [c for c in teams.connector.sent(ben.conversation, after=mark)
               if "Right!" in c.text or "Not quite" in c.text]
    assert len(results) == 1
    async with teams.db.session() as session:
        answers = (await session.exec(select(Answer).where(Answer.delivery_id == buttons[0]["data"]["value"]["d"]))
                   ).all()
    assert len(answers) == 1


async def test_a_button_naming_an_id_no_row_can_have_is_stale(teams: TeamsBot) -> None:
    """Ids are 32-bit columns (PostgreSQL refuses anything larger): such a value is a stale or forged button."""
    ben, mia = teams.user("29:ben", "Ben Buyer"), teams.user("29:mia", "Mia Manager")
    for user, value in ((ben, {"action": "answer", "value": {"d": 2**31, "o": 0}}),
                        (ben, {"action": "reflect", "value": {"d": 2**63}, "text": "I will"}),
                        (ben, {"action": "feedback", "value": {"d": -(2**31) - 1, "r": "too_hard"}}),
                        (mia, {"action": "team_nudge", "value": {"p": 10**30}})):
        mark = len(teams.connector.calls)
        assert await user.post(user.activity("message", value=value)) == 200
        [reply] = teams.connector.sent(user.conversation, after=mark)
        assert "no longer active" in reply.text, value
