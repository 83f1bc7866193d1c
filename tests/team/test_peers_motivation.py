"""Motivation: streaks over scheduled days (weekends, pauses and today never break them), badges at each level
and when a role's targets are all met, and opt-in shout-outs for completed voluntary goals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.chat.coach import Coach
from bot.couriers import Sent
from bot.lessons.preferences import SettingsError, settings_form
from bot.replies import ProgressView, Reply, TeamSummary
from bot.team.shoutouts import ChannelPoster, post_shoutouts
from store.db import Database
from store.models import Badge, LearnerSettings, MasteryState
from tests.conftest import Clock
from tests.support.learner import all_deliveries, answer, next_card
from tests.support.org import load_sample_org

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def streaks(coach: Coach, manager: int, person: int) -> tuple[int, int]:
    """The streak as the learner sees it and as their manager's summary shows it."""
    progress = (await coach.command(person, "progress")).messages[0]
    summary = (await coach.command(manager, "", default="team")).messages[0]
    assert isinstance(progress, ProgressView) and isinstance(summary, TeamSummary)
    member = next(m for m in summary.members if m.person_id == person)
    return progress.streak_days, member.engagement.streak_days


async def answer_one(coach: Coach, person: int) -> None:
    """One lesson a day, asked for by topic (so it never runs out when targets are met)."""
    card = (await coach.command(person, "phishing")).messages[0]
    await coach.sent(card.delivery_id, platform="test", message_ref=None)
    await answer(coach, person, card, True)


async def test_streaks_skip_days_off_and_pauses(coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    for _ in range(4):  # Tuesday 1 to Friday 4 December, 10:00 in Berlin
        await answer_one(coach, ben)
        clock.advance(days=1)
    clock.advance(days=2)  # Monday 7: the weekend is not scheduled, and today is not over
    assert await streaks(coach, mia, ben) == (4, 4)
    await answer_one(coach, ben)
    assert await streaks(coach, mia, ben) == (5, 5)
    clock.advance(days=1)  # Tuesday 8: paused until Thursday
    await coach.command(ben, "pause")
    clock.advance(days=2)
    await coach.command(ben, "resume")
    await answer_one(coach, ben)
    assert await streaks(coach, mia, ben) == (6, 6)
    clock.advance(days=4)  # Monday 14: Friday 11 was a scheduled day without an answer
    assert await streaks(coach, mia, ben) == (0, 0)
    await answer_one(coach, ben)
    clock.advance(days=1)  # Tuesday 15: away until Thursday 17, back on Friday 18
    await coach.command(ben, "away 2026-12-17")
    clock.advance(days=3)
    await answer_one(coach, ben)
    assert await streaks(coach, mia, ben) == (2, 2), "time away does not break a streak either"


async def test_a_long_streak_is_counted_in_full(coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    cara, mia = ids["cara@example.com"], ids["mia@example.com"]
    answered = 0
    while answered < 40:  # eight weeks of weekdays: longer than the summary's first look-back
        if clock.now.isoweekday() <= 5:
            await answer_one(coach, cara)
            answered += 1
        clock.advance(days=1)
    assert await streaks(coach, mia, cara) == (40, 40)


ZOE_AND_YAN = """email,name,manager_email,role,timezone
zoe@example.com,Zoe Zed,,everyone,Europe/Berlin
yan@example.com,Yan Yu,,everyone,Europe/Berlin
"""


async def complete_goal(coach: Coach, db: Database, person: int, clock: Clock) -> list[str]:
    """Answer right until the goal role's targets are all met; returns what was celebrated."""
    await coach.command(person, "goal new-hire")
    said: list[str] = []
    for _ in range(60):
        reply = await answer(coach, person, await next_card(coach, person), True)
        said += [line for m in reply.messages for line in getattr(m, "celebrations", [])]
        clock.advance(hours=2)
        async with db.session() as session:
            if (await session.exec(select(Badge).where(Badge.person_id == person,
                                                       Badge.kind == "goal_complete"))).first():
                return said
    raise AssertionError("the goal was not completed in 60 right answers")


async def test_badges_at_each_level_and_for_targets_met(coach: Coach, db: Database, clock: Clock,
                                                        tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path, ZOE_AND_YAN)
    zoe = ids["zoe@example.com"]
    said = await complete_goal(coach, db, zoe, clock)
    async with db.session() as session:
        badges = (await session.exec(select(Badge).where(Badge.person_id == zoe))).all()
        states = (await session.exec(select(MasteryState).where(MasteryState.person_id == zoe))).all()
    keys = sorted((b.kind, b.key) for b in badges)
    assert len(keys) == len(set(keys)), "never twice"
    expected = {("level_up", f"{s.competency_id}:{level}") for s in states for level in range(1, s.best_level + 1)}
    assert {k for k in keys if k[0] == "level_up"} == expected and expected
    assert ("role_complete", "everyone") in keys and ("goal_complete", "new-hire") in keys
    assert "🎉 You meet every target of New hire!" in said
    assert sum(line.startswith("🏅 Level") for line in said) == len(expected)
    progress = (await coach.command(zoe, "progress")).messages[0]
    assert "All targets met · new-hire" in progress.badges


class Channel(ChannelPoster):
    platform = "slack"

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []

    async def post_to_channel(self, channel: str, reply: Reply) -> Sent:
        self.posts += [(channel, m.text) for m in reply.messages]
        return Sent(message_ref={"channel": channel})


async def test_shoutouts_only_for_those_who_opted_in_and_once(coach: Coach, db: Database, clock: Clock,
                                                              tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path, ZOE_AND_YAN)
    coach.services.config = coach.services.config.model_copy(update={"shoutout_channel": "C0SHOUT"})
    await coach.save_settings(ids["zoe@example.com"], {"shoutout_opt_in": True})
    await complete_goal(coach, db, ids["zoe@example.com"], clock)
    await complete_goal(coach, db, ids["yan@example.com"], clock)
    channel = Channel()
    assert await post_shoutouts(coach.services, {"slack": channel}, clock.now) == 1
    [(where, text)] = channel.posts
    assert where == "C0SHOUT" and "**Zoe Zed**" in text and "**New hire**" in text and "Yan" not in text
    assert await post_shoutouts(coach.services, {"slack": channel}, clock.now) == 0, "announced once"

    await coach.save_settings(ids["yan@example.com"], {"shoutout_opt_in": True})
    clock.advance(days=8)
    assert await post_shoutouts(coach.services, {"slack": channel}, clock.now) == 0, "opting in later is not news"
    coach.services.config = coach.services.config.model_copy(update={"shoutout_channel": None})
    assert await post_shoutouts(coach.services, {"slack": channel}, clock.now) == 0


async def test_a_goal_is_another_role_and_its_path_is_shown_in_order(coach: Coach, db: Database,
                                                                     tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    own = (await coach.command(ben, "goal buyer")).messages[0]
    assert own.text.startswith("Buyer is already your role") and "try another one" in own.text
    with pytest.raises(SettingsError, match="already your role"):
        await coach.save_settings(ben, {"goal_role": "buyer"})
    form = await settings_form(coach.services, ben)
    assert "buyer" not in [c.value for c in form.role_choices] and form.goal_role is None

    reply = (await coach.command(ben, "goal team-lead")).messages[0]
    text = reply.text
    assert text.startswith("**Goal: Team lead**") and "**Your path**, in the order your lessons work on it:" in text
    path = [line for line in text.splitlines() if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert path[0].startswith("1. ") and len(path) >= 3
    assert all("(your goal)" in line or "(your role)" in line for line in path)
    assert [line for line in path if "(your goal)" in line] == path[:len([x for x in path if "(your goal)" in x])], \
        "the goal comes before the role, as the engine works"
    assert "First up: _" in text
    first = await next_card(coach, ben)
    assert first.title in text, "the lesson named first is the one that comes"


async def test_a_goal_that_is_the_learners_own_role_is_no_voluntary_goal(coach: Coach, db: Database, clock: Clock,
                                                                         tmp_path: Path) -> None:
    """Set before such goals were refused: completing it earns the role's badge, and no shout-out."""
    ids = await load_sample_org(db, tmp_path, ZOE_AND_YAN)
    zoe = ids["zoe@example.com"]
    coach.services.config = coach.services.config.model_copy(update={"shoutout_channel": "C0SHOUT"})
    await coach.save_settings(zoe, {"shoutout_opt_in": True})
    async with db.session() as session:
        settings = await session.get(LearnerSettings, zoe)
        assert settings is not None
        settings.goal_role_id = "everyone"
        session.add(settings)
    kinds: set[str] = set()
    while "role_complete" not in kinds and len(await all_deliveries(coach, zoe)) < 40:
        await answer(coach, zoe, await next_card(coach, zoe), True)
        clock.advance(hours=2)
        async with db.session() as session:
            kinds = {b.kind for b in (await session.exec(select(Badge).where(Badge.person_id == zoe))).all()}
    async with db.session() as session:
        session.add(Badge(person_id=zoe, kind="goal_complete", key="everyone", awarded_at=clock.now))
    assert "role_complete" in kinds and "goal_complete" not in kinds
    channel = Channel()
    assert await post_shoutouts(coach.services, {"slack": channel}, clock.now) == 0 and not channel.posts
