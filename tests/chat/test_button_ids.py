"""Ids that come back from the platform (button values, modal metadata) reach the database only when an
INTEGER key could hold them: anything else is a button that is no longer active, never an OverflowError
(SQLite) or "integer out of range" (PostgreSQL) with a traceback in the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.chat.actions import UNKNOWN
from bot.chat.coach import Coach
from bot.ids import MAX_ID, as_int
from bot.replies import AnswerResult, LessonCard
from handlers.slack.modals import REFLECTION_BLOCK, REFLECTION_CALLBACK
from store.db import Database
from tests.support.fake_slack import TEAM
from tests.support.org import load_sample_org
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

OUT_OF_RANGE = [10**30, -(10**30), MAX_ID + 1, 0, -1, "99999999999999999999", "1e3", 1.5, True, None, [1]]


def test_only_whole_numbers_a_key_can_hold_are_ids() -> None:
    assert [as_int(v) for v in (1, MAX_ID, "42", " 7 ")] == [1, MAX_ID, 42, 7]
    assert [as_int(v) for v in OUT_OF_RANGE] == [None] * len(OUT_OF_RANGE)
    assert as_int(0, low=0) == 0 and as_int(-1, low=0) is None  # an option's index starts at 0


@pytest.mark.parametrize("bad", [10**30, -1, MAX_ID + 1, "99999999999999999999"], ids=repr)
async def test_a_button_naming_an_impossible_id_is_no_longer_active(coach: Coach, db: Database, tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture,
                                                                    bad: Any) -> None:
    ids = await load_sample_org(db, tmp_path)
    mia = ids["mia@example.com"]
    pressed: list[tuple[str, dict[str, Any]]] = [
        ("answer", {"d": bad, "o": 0}), ("feedback", {"d": bad, "r": "useful"}),
        ("team_nudge", {"p": bad}), ("team_focus", {"p": bad, "c": "infosec"}),
    ]
    with caplog.at_level(logging.WARNING):
        for action, value in pressed:
            [reply] = (await coach.press(mia, action, value, via="slack")).messages
            assert reply.text.startswith("That button is no longer active."), (action, value)
        assert await coach.reflect(mia, bad, "my thoughts", via="slack") == UNKNOWN
    assert not [r for r in caplog.records if r.exc_info], "no traceback"


async def test_the_largest_id_reaches_the_database_and_a_real_one_still_works(coach: Coach, db: Database,
                                                                             tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    [none] = (await coach.press(ben, "answer", {"d": MAX_ID, "o": 0}, via="slack")).messages
    assert "isn't one of yours" in none.text
    [card] = (await coach.command(ben, "")).messages
    assert isinstance(card, LessonCard)
    [result, *_] = (await coach.press(ben, "answer", {"d": card.delivery_id, "o": 0}, via="slack")).messages
    assert isinstance(result, AnswerResult) and result.delivery_id == card.delivery_id


async def test_over_slack_an_impossible_id_in_a_button_or_modal_is_answered_politely(
    slack: SlackServer, caplog: pytest.LogCaptureFixture
) -> None:
    ben = slack.person("UBEN")
    answer = {"action_id": "coach.answer.0", "value": json.dumps({"d": 10**30, "o": 0}),
              "text": {"type": "plain_text", "text": "An option"}}
    with caplog.at_level(logging.WARNING):
        await ben.press(answer, ephemeral_url=slack.fake.response_url("huge"))
        [pressed] = await slack.fake.wait_for("response_url", name="huge")
        assert "That button is no longer active" in pressed.text_of_blocks

        view = {"id": "V0REFLECT", "type": "modal", "callback_id": REFLECTION_CALLBACK, "team_id": TEAM,
                "hash": "h1", "private_metadata": json.dumps({"d": -(2**63), "c": ben.dm, "ts": "1.000001"}),
                "state": {"values": {REFLECTION_BLOCK: {REFLECTION_BLOCK: {"type": "plain_text_input",
                                                                          "value": "my thoughts"}}}}}
        submitted = await slack.post_payload({"type": "view_submission", "team": {"id": TEAM},
                                              "user": {"id": "UBEN", "team_id": TEAM}, "api_app_id": "A0COACH",
                                              "token": "legacy", "trigger_id": "trigger-huge", "view": view})
        assert submitted.status == 200
        await slack.settle()
    said = [c for c in slack.fake.calls if c.args.get("channel") == ben.dm or c.args.get("user") == "UBEN"]
    assert any("That button is no longer active" in c.text_of_blocks for c in said), [c.method for c in said]
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
