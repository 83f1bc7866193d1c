"""A tick plans its claimed learners together: a few queries for the whole batch, not about twenty per learner,
and each learner still gets exactly one lesson."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.chat.coach import Coach
from store.db import Database
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, loopback
from tests.support.org import SAMPLE_ORG, load_sample_org

EXTRA = 40
ENGINE_TABLES = ("lesson", "question", "rolerequirement", "modelfit", "catalogueversion", "masterystate", "focus",
                 "reviewstate", "answer")


async def test_one_tick_plans_forty_learners_in_a_few_queries(coach: Coach, db: Database, clock: Clock,
                                                             tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = [f"p{n}@example.com,Person {n},dana@example.com,buyer,Europe/Berlin,UP{n}," for n in range(EXTRA)]
    await load_sample_org(db, tmp_path, SAMPLE_ORG + "\n".join(rows) + "\n")
    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # before the window: enrolling gives today's slots
    statements: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        found = re.search(r"\bFROM (\w+)", statement)
        if statement.lstrip().upper().startswith("SELECT") and found:
            statements[found.group(1)] += 1

    async with loopback(coach) as (fake, dispatcher):
        await dispatcher.tick(only=("lessons",))  # the first tick only enrols (each learner's first slot)
        clock.now = datetime(2026, 12, 1, 15, 50, tzinfo=UTC)  # every Berlin and London slot of the day has come
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        with caplog.at_level(logging.WARNING):
            report = await dispatcher.tick(only=("lessons",))
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    sent = await all_deliveries(db)
    assert report.sent == len(sent) >= EXTRA  # the Berlin and London learners (New York is asleep)
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})
    assert "planning" not in caplog.text  # no learner fell back to being planned alone
    # What the engine reads to choose (about ten queries a learner when each is planned alone), for all of them:
    # the catalogue's version counters, and one query each for their states, focuses, deliveries and reviews.
    engine = sum(statements[table] for table in ENGINE_TABLES)
    assert engine <= 8, statements
