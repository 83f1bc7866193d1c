"""A manager acts: a focus the engine puts first, a nudge for someone quiet — and the learner hears who asked
and why, through the dispatcher, inside their own lesson window."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.engine.next_lesson import plan_in, plan_next
from bot.engine.reads import SessionReads
from bot.lessons.lessons import policy_config
from bot.replies import TeamSummary
from store.db import Database
from store.models import Delivery, Focus, Lesson
from tests.conftest import Clock
from tests.support.dispatching import loopback
from tests.support.learner import answer, next_card
from tests.support.org import load_sample_org

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def queued(db: Database, person_id: int) -> list[tuple[Delivery, str]]:
    async with db.session() as session:
        rows = await session.exec(
            select(Delivery, Lesson.competency_id).join(Lesson, col(Lesson.id) == Delivery.lesson_id)
            .where(Delivery.person_id == person_id, col(Delivery.origin).in_(["focus", "nudge"]))
            .order_by(col(Delivery.id)))
        return list(rows.all())


async def test_assigned_focus_comes_first_and_the_learner_is_told_who_asked_and_why(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    before = await next_card(coach, ben)
    assert before.competency != "Inclusive communication", "the test needs a focus the engine would not pick"
    await answer(coach, ben, before, True)

    reply = await coach.command(mia, "assign ben buyer inclusion because we present to the board in May",
                                default="team")
    assert reply.messages[0].text.startswith("Done — Inclusive communication is now Ben's focus")
    assert "right away" in reply.messages[0].text, "10:00 in Berlin on a Tuesday is inside Ben's window"
    [(delivery, competency)] = await queued(db, ben)
    assert competency == "inclusion" and delivery.status == "pending" and delivery.requested_by == mia
    assert delivery.reason == ("Mia Manager (your manager) asked you to focus on Inclusive communication: "
                               "“we present to the board in May”.")
    async with db.session() as session:
        focus = (await session.exec(select(Focus).where(Focus.person_id == ben))).one()
    assert focus.competency_id == "inclusion" and focus.assigned_by == mia

    nxt = await next_card(coach, ben)
    assert nxt.competency == "Inclusive communication", "the engine works on the focus first"

    async with loopback(coach) as (fake, dispatcher):
        report = await dispatcher.tick()
    assert report.sent >= 1
    told = [p for p in fake.posts if p.delivery_id == delivery.id]
    assert len(told) == 1 and "Mia Manager (your manager) asked you to focus on Inclusive communication" in told[0].text

    again = await coach.command(mia, "assign ben inclusion", default="team")
    assert "already Ben's focus" in again.messages[0].text
    assert len(await queued(db, ben)) == 1


async def test_focus_from_a_summary_button_waits_for_the_learners_window(coach: Coach, db: Database, clock: Clock,
                                                                        tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    fay, dana = ids["fay@example.com"], ids["dana@example.com"]
    card = (await coach.command(ids["gus@example.com"], "phishing")).messages[0]
    await answer(coach, ids["gus@example.com"], card, False)  # a gap shown by an answer: a focus to suggest
    summary = (await coach.command(dana, "", default="team")).messages[0]
    assert isinstance(summary, TeamSummary)
    button = next(b for b in summary.actions if b.action == "team_focus")
    await coach.press(dana, button.action, button.value, via="test")
    async with db.session() as session:
        focus = (await session.exec(select(Focus).where(Focus.person_id == button.value["p"]))).one()
    assert focus.competency_id == button.value["c"]

    reply = await coach.press(dana, "team_focus", {"p": fay, "c": "safety"}, via="test")
    assert "when their lesson window opens: Tue 1 Dec, 10:00 (America/New_York)." in plain(reply.messages[0].text)
    [delivery] = [d for d, competency in await queued(db, fay) if competency == "safety"]
    assert delivery.due_at.hour == 15 and delivery.status == "pending"

    async with loopback(coach) as (fake, dispatcher):
        await dispatcher.tick()
        assert not [p for p in fake.posts if p.delivery_id == delivery.id], "not before her window opens"
        clock.advance(hours=6, minutes=1)
        await dispatcher.tick()
        assert [p for p in fake.posts if p.delivery_id == delivery.id]


async def test_a_second_focus_gets_a_lesson_in_its_own_competency(coach: Coach, db: Database,
                                                                  tmp_path: Path) -> None:
    """The engine ranks two focuses by their ids: the newer one still gets its own first lesson and note."""
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    first = await coach.command(mia, "assign ben privacy", default="team")
    second = await coach.command(mia, "assign ben safety because the audit is in May", default="team")
    assert "Ben gets the first one, with your note, right away" in first.messages[0].text
    assert second.messages[0].text.startswith("Done — Shop-floor safety is now Ben's focus")
    assert "Ben gets the first one, with your note, right away" in second.messages[0].text
    queued_now = await queued(db, ben)
    assert sorted(competency for _, competency in queued_now) == ["privacy", "safety"]
    [safety] = [d for d, competency in queued_now if competency == "safety"]
    assert safety.reason == ("Mia Manager (your manager) asked you to focus on Shop-floor safety: "
                             "“the audit is in May”.")


async def test_the_engine_plans_a_lesson_in_a_given_competency(coach: Coach, db: Database, tmp_path: Path) -> None:
    """`plan_in`: a lesson in the competency asked for, where `plan_next` picks an older, equally urgent one."""
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    async with db.session() as session:
        for competency in ("privacy", "safety"):
            session.add(Focus(person_id=ben, competency_id=competency, assigned_by=mia,
                              created_at=coach.services.clock()))
    async with db.session() as session:
        ctx, model, config = await load_learner(session, ben), await load_model(session), policy_config(coach.services)
        general = await plan_next(SessionReads(session), ctx, model, coach.services.clock(), config, allow_review=False)
        safety = await plan_in(SessionReads(session), ctx, model, "safety", config, coach.services.clock())
        untargeted = await plan_in(SessionReads(session), ctx, model, "career", config, coach.services.clock())
    assert general is not None and general.competency == "privacy"
    assert safety is not None and safety.competency == "safety" and safety.lesson.competency_id == "safety"
    assert untargeted is None, "not one of Ben's targets"


async def test_a_focus_names_the_level_the_role_asks_for_never_the_learners_goal(coach: Coach, db: Database,
                                                                                  tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    await coach.command(ids["ben@example.com"], "goal team-lead")  # Team lead asks for feedback level 2
    reply = await coach.command(ids["mia@example.com"], "assign ben feedback", default="team")
    assert "until they reach level 2" in reply.messages[0].text
    await coach.command(ids["ben@example.com"], "goal people-manager")  # feedback level 3: Ben's own plan
    again = await coach.command(ids["mia@example.com"], "assign ben career", default="team")
    assert "until they reach level 2" in again.messages[0].text, "People manager asks for 3: that is Ben's plan"


async def test_a_nudge_goes_once_a_day(coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    cara, mia = ids["cara@example.com"], ids["mia@example.com"]
    first = await coach.press(mia, "team_nudge", {"p": cara}, via="test")
    assert plain(first.messages[0].text).startswith("Nudge sent — Cara gets a lesson with a note from you")
    second = await coach.press(mia, "team_nudge", {"p": cara}, via="test")
    assert "already got a lesson from you today" in second.messages[0].text
    [(delivery, _)] = await queued(db, cara)
    assert delivery.origin == "nudge" and "Mia Manager (your manager) sent you a nudge" in (delivery.reason or "")
    clock.advance(days=1)
    await coach.press(mia, "team_nudge", {"p": cara}, via="test")
    assert len(await queued(db, cara)) == 2


async def test_a_focus_shows_in_the_summary_and_in_what_the_learner_sees(coach: Coach, db: Database,
                                                                         tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    await coach.command(mia, "assign <@UBEN> privacy", default="team")
    summary = (await coach.command(mia, "", default="team")).messages[0]
    member = next(m for m in summary.members if m.person_id == ben)
    assert member.focus == ["Data privacy"]
    assert not any(b.value == {"p": ben, "c": "privacy"} for b in summary.actions), "no focus suggested twice"

    progress = (await coach.command(ben, "progress")).messages[0]
    assert any(b.action == "manager_view" for b in progress.buttons)
    assert "the lesson ratings you gave" in progress.manager_sees
    seen = (await coach.press(ben, "manager_view", {}, via="test")).messages[0]
    shown = (await coach.command(mia, "ben", default="team")).messages[0]
    assert seen.text.splitlines()[0] == "**What Mia Manager sees about you**"
    assert seen.text.splitlines()[1:] == shown.text.splitlines()[1:], "exactly what the manager sees"
    assert not seen.actions and shown.actions
