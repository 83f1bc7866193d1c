"""Universal Actions (Action.Execute) end to end: `adaptiveCard/action` invokes posted to the running server,
the answered card read from the invoke's response body, follow-ups recorded by the fake connector. The
Action.Submit each Execute carries as its fallback still works for older clients."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from sqlmodel import select

from bot.metrics import REGISTRY
from handlers.msteams.runtime import BotCredentials
from store.models import Answer, Delivery, LearnerSettings, Question
from tests.support.fake_connector import TeamsBot, connector, teams
from tests.support.teams_calls import Call, executes, submits

__all__ = ["connector", "teams"]  # fixtures

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


async def _options(teams: TeamsBot, delivery_id: int) -> list[dict[str, Any]]:
    async with teams.db.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.question_id is not None
        question = await session.get(Question, delivery.question_id)
        assert question is not None
        return question.options


def _texts(card: dict[str, Any]) -> str:
    return "\n".join(str(block.get("text")) for block in card["body"] if block.get("type") == "TextBlock")


def _answers_counted() -> float:
    return sum(sample.value for metric in REGISTRY.collect() if metric.name == "coach_answers"
               for sample in metric.samples if sample.name == "coach_answers_total"
               and sample.labels.get("platform") == "teams")


async def test_an_answer_comes_back_as_the_answered_card_in_the_invoke_response(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    buttons = executes(lesson)
    assert buttons and all(b["verb"] == "answer" and b["fallback"]["type"] == "Action.Submit" for b in buttons)
    assert lesson.cards[0]["refresh"]["userIds"] == ["29:ben"]  # it refreshes itself for Ben alone
    delivery_id = buttons[0]["data"]["value"]["d"]
    options = await _options(teams, delivery_id)
    wrong = next(i for i, o in enumerate(options) if not o.get("correct"))
    right = next(o["text"] for o in options if o.get("correct"))
    mark = len(teams.connector.calls)

    status, body = await ben.execute(lesson, buttons[wrong])

    assert status == 200 and body["statusCode"] == 200 and body["type"] == CARD
    card = body["value"]
    shown = _texts(card)
    assert f"Your answer: **{options[wrong]['text']}** — ❌ not quite" in shown
    assert "Not quite" in shown and right in shown  # the verdict and the right answer, in the card itself
    assert "actions" not in card and "refresh" not in card and not executes(Call("", "", None, None, {
        "attachments": [{"contentType": CARD, "content": card}]}, 200))
    [updated] = teams.connector.updated(ben.conversation, after=mark)  # the message itself, for other devices
    assert updated.activity_id == lesson.answer_id and updated.cards[0]["body"] == card["body"]
    [follow] = teams.connector.sent(ben.conversation, after=mark)
    assert "How was this lesson?" in follow.text
    assert {b["data"]["action"] for b in submits(follow)} == {"feedback", "next"}


async def test_pressing_twice_or_a_redelivered_invoke_counts_the_answer_once(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    buttons = executes(lesson)
    delivery_id = buttons[0]["data"]["value"]["d"]
    options = await _options(teams, delivery_id)
    right = next(i for i, o in enumerate(options) if o.get("correct"))
    counted = _answers_counted()
    mark = len(teams.connector.calls)

    answers = [await ben.execute(lesson, buttons[right]) for _ in range(2)]  # a double press / a redelivery
    answers.append(await ben.execute(lesson, buttons[right - 1]))  # another option, after answering

    cards = [body["value"] for status, body in answers if status == 200 and body["type"] == CARD]
    assert len(cards) == 3
    assert all(f"Your answer: **{options[right]['text']}** — ✅ right" in _texts(c) for c in cards)
    assert all("Right!" in _texts(c) for c in cards)  # what Ben was told never disappears
    async with teams.db.session() as session:
        rows = (await session.exec(select(Answer).where(Answer.delivery_id == delivery_id))).all()
    assert [(r.choice, r.correct) for r in rows] == [(right, True)]
    assert _answers_counted() == counted + 1
    follows = [c for c in teams.connector.sent(ben.conversation, after=mark) if "How was this lesson?" in c.text]
    assert len(follows) == 1

    automatic = lesson.cards[0]["refresh"]["action"]  # Ben opens the chat on his phone: the card refreshes
    status, body = await ben.execute(lesson, automatic, trigger="automatic")
    assert status == 200 and f"Your answer: **{options[right]['text']}**" in _texts(body["value"])
    async with teams.db.session() as session:
        assert len((await session.exec(select(Answer).where(Answer.delivery_id == delivery_id))).all()) == 1


async def test_an_unanswered_card_refreshes_to_itself_with_its_buttons(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    mark = len(teams.connector.calls)
    status, body = await ben.execute(lesson, lesson.cards[0]["refresh"]["action"], trigger="automatic")
    assert status == 200 and body["type"] == CARD
    assert [a["title"] for a in body["value"]["actions"]] == [b["title"] for b in executes(lesson)]
    assert body["value"]["refresh"]["userIds"] == ["29:ben"]
    assert teams.connector.attempts(ben.conversation, after=mark) == []  # a refresh only answers


async def test_the_settings_card_round_trips_through_action_execute(teams: TeamsBot) -> None:
    eli = teams.user("29:eli", "Eli")
    teams.connector.members["29:eli"] = {"id": "29:eli", "email": "eli@example.com"}
    [form] = await eli.say("settings")
    [save] = executes(form)
    values = {"days": "1,3", "window_start": "09:00", "window_end": "12:00", "lessons_per_day": "2",
              "timezone": "Europe/Paris", "formats": "text", "goal_role": "", "interests": ""}

    status, body = await eli.execute(form, save, values)

    assert status == 200 and body["type"] == CARD
    saved = body["value"]
    assert "✅ Saved." in _texts(saved)
    assert {b.get("id"): b.get("value") for b in saved["body"] if b.get("id")}["timezone"] == "Europe/Paris"
    async with teams.db.session() as session:
        settings = await session.get(LearnerSettings, teams.ids["eli@example.com"])
    assert settings is not None and (settings.days, settings.timezone) == ("13", "Europe/Paris")

    status, body = await eli.execute(form, save, {**values, "timezone": "Mars/Olympus"})
    assert status == 200 and body["type"] == MESSAGE  # the filled-in form stays as it is, to correct
    assert body["value"].startswith("Please check Time zone:") and "Nothing was changed." in body["value"]
    async with teams.db.session() as session:
        settings = await session.get(LearnerSettings, teams.ids["eli@example.com"])
    assert settings is not None and settings.timezone == "Europe/Paris"


async def test_a_team_card_button_is_answered_at_once_and_its_view_follows(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    posted = await mia.say("team")
    [summary] = [c for c in posted if executes(c)]
    pressed = executes(summary)[0]
    assert pressed["fallback"]["data"] == pressed["data"]
    mark = len(teams.connector.calls)

    status, body = await mia.execute(summary, pressed)

    assert status == 200 and body["type"] == MESSAGE and "below" in body["value"]
    views = teams.connector.sent(mia.conversation, after=mark)
    assert views and all(v.cards for v in views)  # the view it asked for, posted after the answer


async def test_the_old_action_submit_still_answers(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [lesson] = await ben.say("learn purchase order")
    fallback = executes(lesson)[0]["fallback"]
    updated, [result] = await ben.press(lesson, fallback["data"])
    assert [u.activity_id for u in updated] == [lesson.answer_id] and "Your answer:" in updated[0].text
    assert "Right!" in result.text or "Not quite" in result.text


async def test_malformed_card_actions_get_a_plain_400(teams: TeamsBot) -> None:
    ben = teams.user("29:ben")
    for value in ({}, {"action": "x"}, {"action": {"type": "Action.Http", "verb": "answer"}},
                  {"action": {"type": "Action.Execute"}}, {"action": {"type": "Action.Execute", "verb": "answer",
                                                                      "data": [1]}}):
        mark = len(teams.connector.calls)
        status, body = await ben.exchange(ben.activity("invoke", name="adaptiveCard/action", value=value))
        answer = json.loads(body)
        assert status == 400 and answer["statusCode"] == 400, value
        assert answer["type"] == "application/vnd.microsoft.error" and answer["value"]["code"] == "BadRequest"
        assert teams.connector.calls[mark:] == []


class _StockBot(ActivityHandler):
    """What botbuilder's own documentation shows: a card returned from `on_adaptive_card_invoke`."""

    async def on_adaptive_card_invoke(self, turn_context: TurnContext,
                                      invoke_value: AdaptiveCardInvokeValue) -> AdaptiveCardInvokeResponse:
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value={"type": "AdaptiveCard", "body": []})


async def test_botbuilder_4_17_1_still_cannot_answer_card_actions_itself(teams: TeamsBot) -> None:
    """Pins why `handlers/msteams/universal.py` reads and answers `adaptiveCard/action` itself. When this
    fails, botbuilder has changed: check whether its own path now works and drop the workaround."""
    ben = teams.user("29:ben")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(BotCredentials("", "", "MultiTenant", "")))
    app = web.Application()

    async def stock(request: web.Request) -> web.Response:
        return await adapter.process(request, _StockBot())

    app.router.add_post("/api/messages", stock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        invoke = ben.activity("invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", "verb": "x", "data": {}}})
        async with aiohttp.ClientSession() as http, http.post(server.make_url("/api/messages"),
                                                              json=invoke) as response:
            assert response.status == 500  # its answer serialised twice
    finally:
        await server.close()

    def context(value: Any) -> TurnContext:
        return TurnContext(adapter, Activity().deserialize(ben.activity("invoke", name="adaptiveCard/action",
                                                                        value=value)))

    declined = await ActivityHandler().on_invoke_activity(context({}))
    assert declined.status == 400 and isinstance(declined.body, AdaptiveCardInvokeResponse)
    assert isinstance(declined.body.value, Exception)  # its error answer: nothing can serialise it
    with pytest.raises(AttributeError):  # an action that is not an object: not even an answer
        await ActivityHandler().on_invoke_activity(context({"action": "x"}))
