"""What a manager measures a report against: the role's requirements and the manager's own focus — never the
learner's goal role or interests, which stay in the learner's own views — and only where there are answers:
before the first one a level is the model's guess, shown as "no answers yet"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.replies import (
    Engagement,
    HeatCell,
    LessonCard,
    LevelCounts,
    MemberLine,
    PersonDetail,
    ProgressView,
    TeamGroup,
    TeamSummary,
)
from bot.team.text import glyph, group_line
from store.db import Database
from tests.support.learner import answer
from tests.support.org import load_sample_org

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def wrong(coach: Coach, person_id: int, topic: str) -> None:
    """Two wrong answers on the topic's lesson (the first offered, when search offers a choice)."""
    for _ in range(2):
        [shown] = (await coach.command(person_id, topic)).messages
        if not isinstance(shown, LessonCard):
            pick = next(b for b in shown.buttons if b.action == "lesson")
            [shown] = (await coach.press(person_id, pick.action, pick.value, via="test")).messages
        await answer(coach, person_id, shown, False)


async def summary_of(coach: Coach, manager: int) -> TeamSummary:
    view = (await coach.command(manager, "", default="team")).messages[0]
    assert isinstance(view, TeamSummary)
    return view


@SQLITE
async def test_a_learners_goal_and_interests_are_not_their_managers_gaps(coach: Coach, db: Database,
                                                                         tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    await wrong(coach, ben, "phishing")
    await wrong(coach, ben, "giving feedback")  # practised, and asked for by Team lead only
    before = await summary_of(coach, mia)
    before_detail = (await coach.command(mia, "ben", default="team")).messages[0]

    await coach.command(ben, "goal team-lead")
    await coach.save_settings(ben, {"interests": ["career"]})
    after = await summary_of(coach, mia)
    assert after.gaps == before.gaps and after.competencies == before.competencies
    assert [b.label for b in after.actions] == [b.label for b in before.actions]
    assert not any("Giving and receiving feedback" in b.label or "Career" in b.label for b in after.actions)
    assert {m.email: m.cells for m in after.members} == {m.email: m.cells for m in before.members}

    detail = (await coach.command(mia, "ben", default="team")).messages[0]
    assert isinstance(detail, PersonDetail) and detail.text == before_detail.text
    assert {r.why for r in detail.rows} <= {"role", "focus", "practised"}
    assert "goal role" not in detail.text and "own interest" not in detail.text
    seen = (await coach.press(ben, "manager_view", {}, via="test")).messages[0]
    assert seen.text.splitlines()[1:] == detail.text.splitlines()[1:]

    own = (await coach.command(ben, "progress")).messages[0]
    assert isinstance(own, ProgressView)
    assert {r.competency_id: r.why for r in own.rows}["career"] == "goal", "the learner still sees their goal"
    assert "not your goal role or interests" in own.manager_sees


@SQLITE
async def test_no_answers_yet_is_shown_as_such_and_counts_in_no_gap(coach: Coach, db: Database,
                                                                    tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    quiet = await summary_of(coach, mia)
    assert quiet.gaps == [] and not any(b.action == "team_focus" for b in quiet.actions)
    ben_line = next(m for m in quiet.members if m.person_id == ben)
    assert {c.status for c in ben_line.cells if c is not None} == {"new"}
    assert "–/" in quiet.text and "no answers yet" in quiet.text

    await wrong(coach, ben, "phishing")
    shown = await summary_of(coach, mia)
    assert shown.gaps == ["1 of 1 below target in Information security (2 more with no answers yet)"]
    assert any(b.value == {"p": ben, "c": "infosec"} for b in shown.actions)
    detail = (await coach.command(mia, "ben", default="team")).messages[0]
    assert "Data privacy: no answers yet · target level 1 · role" in detail.text
    assert "Information security: level 0 of 2 · mastery" in detail.text


@SQLITE
async def test_the_manager_sees_text_names_everyone_up_the_chain_and_everything_they_see(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    progress = (await coach.command(ids["ben@example.com"], "progress")).messages[0]
    assert isinstance(progress, ProgressView)
    assert progress.manager_sees.startswith("Mia Manager (your manager) sees — as do the managers above them "
                                            "(Dana Director) — your level")
    for part in ("“needs attention”", "spreadsheet", "the lesson ratings you gave", "never your reflections"):
        assert part in progress.manager_sees, part
    alone = (await coach.command(ids["dana@example.com"], "progress")).messages[0]
    assert alone.manager_sees.startswith("No manager is set for you")


def test_a_groups_line_counts_people_not_cells_and_says_one_person() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    below = [HeatCell(0, 2, 0.2), HeatCell(1, 3, 0.4)]
    members = [MemberLine(1, "Ana Lead", "ana@example.com", below, Engagement(2, 5, 1, now), False, [], [])]
    group = TeamGroup("Ana Lead", members, 2, 5, [1, 1], 0, key=1, title="Ana Lead's group", below_people=1,
                      active_7=1, active_14=1, levels=[LevelCounts(far=1), LevelCounts(far=1)])
    assert group_line(group) == ("**Ana Lead's group: 1 person** — 1 below target · "
                                 "1 of 1 answered this week (2 lessons) · 1 active in 14 days · "
                                 "levels: 1. 0✓ 0↓ 1↓↓ 0–; 2. 0✓ 0↓ 1↓↓ 0–")
    assert glyph(HeatCell(0, 2, 0.66, answered=False)) == "–" and glyph(HeatCell(0, 2, 0.2)) == "↓↓"
