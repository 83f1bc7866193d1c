"""Slack answer options on a phone, over real HTTP: a question with six long options shows every option in
full as text, answers with one press of a short numbered button, and records the option that was chosen —
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlmodel import select

from handlers.slack.answer_options import LONG_OPTION
from store.models import Answer, Question
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

SIX = [
    "Ask the requester to split the order into two smaller purchase orders",
    "Approve it yourself because the supplier is already on the approved list",
    "Send it to your manager and to Finance, since it is above the threshold",
    "Pay by corporate card and file the receipt with next month's expenses",
    "Wait for the supplier to lower the price below the approval threshold",
    "Reject it and ask the requester to find a supplier outside the framework",
]


async def _six_long_options_everywhere(slack: SlackServer) -> None:
    """Every question in the catalog becomes one with the six options above (the third is right)."""
    async with slack.coach.services.database.session() as session:
        for question in (await session.exec(select(Question))).all():
            question.options = [{"text": text, "correct": n == 2} for n, text in enumerate(SIX)]
            session.add(question)
        await session.commit()


async def test_six_long_options_are_shown_in_full_and_one_numbered_press_records_the_chosen_one(
        slack: SlackServer) -> None:
    assert all(len(text) > LONG_OPTION for text in SIX)
    await _six_long_options_everywhere(slack)
    ben = slack.person("UBEN")
    await ben.command("")
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)

    shown = lesson.text_of_blocks
    assert all(f"*{n}.* {text}" in shown for n, text in enumerate(SIX, 1))  # each in full, numbered
    answers = [b for b in lesson.buttons() if b["action_id"].startswith("coach.answer.")]
    assert [b["text"]["text"] for b in answers] == ["1", "2", "3", "4", "5", "6"]
    for n, (answer, text) in enumerate(zip(answers, SIX, strict=True), 1):  # what a screen reader says
        label = answer["accessibility_label"]
        assert len(label) <= 75 and label.startswith(f"Answer {n}: {' '.join(text.split()[:5])}")
    actions = [b for b in lesson.args["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1  # one row of buttons under the list: one press answers

    await ben.press(answers[2], lesson)
    [update] = await slack.fake.wait_for("chat.update", channel=ben.dm, ts=lesson.ts)
    await slack.settle()
    assert f"Your answer: *{SIX[2]}* — ✅ right" in update.text_of_blocks and update.buttons() == []
    delivery_id = json.loads(answers[2]["value"])["d"]
    async with slack.coach.services.database.session() as session:
        [answer] = (await session.exec(select(Answer))).all()
    assert (answer.delivery_id, answer.choice, answer.correct) == (delivery_id, 2, True)
