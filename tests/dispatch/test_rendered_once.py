"""The dispatcher renders a lesson once and reuses it: what each learner receives is still their own lesson,
exactly as it renders fresh. Through the real Slack courier, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.lessons.lessons import lesson_card
from handlers.slack.blocks import messages_for
from store.db import Database
from store.models import Person
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, sample_users, through_slack
from tests.support.fake_slack import Call, FakeSlack
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
SWEEPS = [TUESDAY, TUESDAY + timedelta(hours=15.5), TUESDAY + timedelta(hours=21)]
"""Enrol everyone, then reach Europe (15:30 UTC) and the Americas (21:00 UTC) inside their windows."""


def without_ids(call: Call) -> str:
    """A posted lesson with its delivery ids blanked: equal for two learners sent the same lesson."""
    blocks = json.loads(json.dumps(call.args["blocks"]))
    for element in (e for b in blocks if b["type"] == "actions" for e in b["elements"]):
        element["value"] = json.dumps({**json.loads(element["value"]), "d": None})
    return json.dumps([call.args["text"], blocks], sort_keys=True)


async def test_a_lesson_rendered_once_reaches_each_learner_as_rendered_fresh(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    fake = FakeSlack(users=sample_users())
    async with through_slack(db, settings, clock, fake, "render-once") as dispatcher:
        for moment in SWEEPS:
            clock.now = moment
            await dispatcher.tick()
    sent = await all_deliveries(db)
    posts = {c.args["channel"]: [] for c in fake.calls_to("chat.postMessage")}  # type: dict[str, list[Call]]
    for call in fake.calls_to("chat.postMessage"):
        posts[call.args["channel"]].append(call)
    same_lesson: dict[str, list[Person]] = {}
    async with db.session() as session:
        for delivery in sent:
            person = await session.get(Person, delivery.person_id)
            assert person is not None and delivery.message_ref is not None
            fresh = messages_for(await lesson_card(session, delivery))
            lesson = [c for c in posts[delivery.message_ref["channel"]] if c.ts == delivery.message_ref["ts"]]
            assert [(c.args["text"], c.args["blocks"]) for c in lesson] == [(m.text, m.blocks) for m in fresh]
            same_lesson.setdefault(without_ids(lesson[0]), []).append(person)
            welcome = posts[delivery.message_ref["channel"]][0]  # their own, never from a template
            assert person.name.split()[0] in welcome.text_of_blocks
    shared = max(same_lesson.values(), key=len)
    assert len(sent) == 8 and len(shared) >= 2  # the reuse was exercised…
    assert len({p.name for p in shared}) == len(shared) and len({p.timezone for p in shared}) >= 2  # …across people
