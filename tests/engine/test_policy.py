"""The adaptive engine, pinned with a scripted learner on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from sqlmodel import func, select

from bot.chat.coach import Coach
from bot.replies import AnswerResult, LessonCard
from store.db import Database
from store.models import Answer, Focus, LearnerSettings, Lesson, MasteryState, ReviewState
from tests.support.learner import all_deliveries, answer, delivery_facts, next_card
from tests.support.org import load_sample_org


async def setup(coach: Coach, db: Database, tmp_path: Path, email: str = "ben@example.com") -> int:
    ids = await load_sample_org(db, tmp_path)
    return ids[email]


async def test_first_contact_with_a_competency_is_a_placement_question(coach: Coach, db: Database,
                                                                        tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    card = await next_card(coach, ben)
    assert card.kind == "placement" and card.body == "" and card.question
    _, lesson, _ = await delivery_facts(coach, card.delivery_id)
    assert lesson.competency_id == "procurement"  # a buyer's biggest gap, from his role


async def test_right_placement_answers_skip_the_lessons_below(coach: Coach, db: Database, tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    placed: dict[str, list[int]] = {}
    taught: dict[str, list[int]] = {}
    for _ in range(14):
        reply = await coach.command(ben, "")
        card = reply.messages[0]
        if not isinstance(card, LessonCard):
            assert "reached every target" in card.text  # a buyer who knows it all is done quickly
            break
        _, lesson, _ = await delivery_facts(coach, card.delivery_id)
        if card.kind == "placement":
            assert lesson.competency_id not in taught, "placement comes before any lesson"
            placed.setdefault(lesson.competency_id, []).append(lesson.level)
        else:
            taught.setdefault(lesson.competency_id, []).append(lesson.level)
        await answer(coach, ben, card, correct=True)
    assert placed["procurement"] == [1, 2, 3] or placed["procurement"] == sorted(placed["procurement"])
    for competency, levels in placed.items():
        assert levels == sorted(levels) and len(levels) <= 3  # up one level per right answer, confirm the top
        assert all(level >= max(levels) for level in taught.get(competency, [])), (competency, levels, taught)


async def test_someone_who_knows_it_reaches_the_target_in_a_few_questions(coach: Coach, db: Database,
                                                                          tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    asked = 0
    for _ in range(30):
        card = await next_card(coach, ben)
        _, lesson, _ = await delivery_facts(coach, card.delivery_id)
        asked += lesson.competency_id == "procurement"
        await answer(coach, ben, card, correct=True)
        async with db.session() as session:
            state = await session.get(MasteryState, (ben, "procurement"))
        if state is not None and state.level == 3:
            break
    assert state is not None and state.level == 3, "right answers should reach the buyer's target, level 3"
    assert asked <= 6, f"{asked} procurement questions to reach level 3 is not 'a few'"


async def test_someone_who_does_not_gets_the_foundations(coach: Coach, db: Database, tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    levels = []
    for _ in range(6):
        card = await next_card(coach, ben)
        _, lesson, _ = await delivery_facts(coach, card.delivery_id)
        levels.append((card.kind, lesson.level))
        await answer(coach, ben, card, correct=False)
    lessons = [level for kind, level in levels if kind in ("lesson", "remediation")]
    assert lessons and all(level == 1 for level in lessons)


async def test_a_wrong_answer_brings_the_same_concept_with_another_question(coach: Coach, db: Database,
                                                                            tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    card = await next_card(coach, ben)
    while card.kind == "placement":
        await answer(coach, ben, card, correct=False)
        card = await next_card(coach, ben)
    _, lesson, question = await delivery_facts(coach, card.delivery_id)
    await answer(coach, ben, card, correct=False)
    again = await next_card(coach, ben)
    _, lesson2, question2 = await delivery_facts(coach, again.delivery_id)
    assert again.kind == "remediation" and lesson2.id == lesson.id
    assert question2 is not None and question is not None and question2.item_key != question.item_key
    assert again.body  # the lesson text is shown again
    await answer(coach, ben, again, correct=False)
    third = await next_card(coach, ben)
    _, lesson3, _ = await delivery_facts(coach, third.delivery_id)
    assert lesson3.id != lesson.id and lesson3.level <= lesson.level


async def test_never_the_exact_same_question_twice_in_a_row(coach: Coach, db: Database, tmp_path: Path,
                                                             clock) -> None:  # type: ignore[no-untyped-def]
    ben = await setup(coach, db, tmp_path)
    previous = None
    for step in range(30):
        card = await next_card(coach, ben)
        _, _, question = await delivery_facts(coach, card.delivery_id)
        assert question is not None
        assert question.item_key != previous
        previous = question.item_key
        await answer(coach, ben, card, correct=step % 3 != 0)
        clock.advance(days=1)


async def test_due_reviews_are_interleaved_within_their_share(coach: Coach, db: Database, tmp_path: Path,
                                                              clock) -> None:  # type: ignore[no-untyped-def]
    ben = await setup(coach, db, tmp_path, "mia@example.com")  # a people manager: much to learn
    for _ in range(8):
        card = await next_card(coach, ben)
        await answer(coach, ben, card, correct=True)
    clock.advance(days=40)  # every review is due now
    kinds = []
    for _ in range(12):
        card = await next_card(coach, ben)
        kinds.append(card.kind)
        await answer(coach, ben, card, correct=card.kind == "review")  # still learning: targets stay open
    reviews = kinds.count("review")
    assert 0 < reviews <= 4, kinds
    assert all(not (a == b == "review") for a, b in pairwise(kinds)), kinds


async def test_relevance_order_focus_goal_role(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    card = await next_card(coach, ben)
    assert (await delivery_facts(coach, card.delivery_id))[1].competency_id == "procurement"
    await coach.command(ben, "goal call-centre-agent")
    card = await next_card(coach, ben)
    assert (await delivery_facts(coach, card.delivery_id))[1].competency_id in ("customer", "privacy", "infosec",
                                                                                 "inclusion", "feedback")
    async with db.session() as session:
        session.add(Focus(person_id=ben, competency_id="safety", assigned_by=mia, reason="new warehouse"))
    card = await next_card(coach, ben)
    assert (await delivery_facts(coach, card.delivery_id))[1].competency_id == "safety"


async def test_not_relevant_feedback_lowers_that_competency(coach: Coach, db: Database, tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    card = await next_card(coach, ben)
    reply = await answer(coach, ben, card, correct=False)
    assert isinstance(reply.messages[0], AnswerResult)
    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "not_relevant"}, via="test")
    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "not_relevant"}, via="test")  # twice: once
    async with db.session() as session:
        state = await session.get(MasteryState, (ben, "procurement"))
        assert state is not None and state.relevance == 0.5
    card = await next_card(coach, ben)
    assert (await delivery_facts(coach, card.delivery_id))[1].competency_id != "procurement"


async def test_too_easy_moves_up_and_too_hard_moves_down(coach: Coach, db: Database, tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    card = await next_card(coach, ben)
    while card.kind == "placement":
        await answer(coach, ben, card, correct=False)
        card = await next_card(coach, ben)
    _, lesson, _ = await delivery_facts(coach, card.delivery_id)
    assert lesson.level == 1
    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "too_easy"}, via="test")
    harder = await next_card(coach, ben)
    assert (await delivery_facts(coach, harder.delivery_id))[1].level == 2
    await coach.press(ben, "feedback", {"d": harder.delivery_id, "r": "too_hard"}, via="test")
    easier = await next_card(coach, ben)
    assert (await delivery_facts(coach, easier.delivery_id))[1].level == 1


async def test_preferred_formats_come_first_and_requires_are_respected(coach: Coach, db: Database,
                                                                        tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
        assert settings is not None
        settings.formats = ["scenario"]
        session.add(settings)
    card = await next_card(coach, ben)
    while card.kind == "placement":
        await answer(coach, ben, card, correct=False)
        card = await next_card(coach, ben)
    assert card.format == "scenario"
    seen: set[str] = set()
    for _ in range(10):
        _, lesson, _ = await delivery_facts(coach, card.delivery_id)
        if card.kind == "lesson":
            async with db.session() as session:
                state = await session.get(MasteryState, (ben, lesson.competency_id))
                shown = max(state.level, state.floor) if state else 0
                for required in lesson.requires:
                    prerequisite = await session.get(Lesson, required)
                    assert prerequisite is not None
                    assert required in seen or prerequisite.level <= shown, (lesson.id, required, seen)
            seen.add(lesson.id)
        await answer(coach, ben, card, correct=True)
        card = await next_card(coach, ben)


async def test_an_answer_counts_once_under_concurrent_duplicates(coach: Coach, db: Database, tmp_path: Path) -> None:
    ben = await setup(coach, db, tmp_path)
    card = await next_card(coach, ben)
    value = card.options[0].value
    replies = await asyncio.gather(*(coach.press(ben, "answer", value, via="test") for _ in range(6)))
    async with db.session() as session:
        answers = (await session.exec(select(func.count()).select_from(Answer))).one()
        state = await session.get(MasteryState, (ben, "procurement"))
    assert answers == 1 and state is not None and state.attempts == 1
    results = [r for r in replies if any(isinstance(m, AnswerResult) for m in r.messages)]
    assert len(results) == 1
    assert all(isinstance(r.update, LessonCard) and r.update.chosen == card.options[0].label for r in replies)
    assert len(await all_deliveries(coach, ben)) == 1


async def test_a_focus_ends_when_its_level_is_reached_and_the_learner_hears_it(coach: Coach, db: Database,
                                                                               tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    async with db.session() as session:
        session.add(Focus(person_id=ben, competency_id="safety", assigned_by=mia, reason="new warehouse"))
    said: list[str] = []
    for _ in range(12):
        card = await next_card(coach, ben)
        if (await delivery_facts(coach, card.delivery_id))[1].competency_id != "safety":
            break
        reply = await answer(coach, ben, card, correct=True)
        said += [line for m in reply.messages if isinstance(m, AnswerResult) for line in m.celebrations]
    assert any(line.startswith("🎯 Focus complete: Shop-floor safety, as Mia Manager asked") for line in said)
    async with db.session() as session:
        focus = (await session.exec(select(Focus).where(Focus.person_id == ben))).one()
    assert focus.cleared_at is not None


async def test_reviews_of_removed_questions_never_block_real_ones(coach: Coach, db: Database, tmp_path: Path,
                                                                   clock) -> None:  # type: ignore[no-untyped-def]
    ben = await setup(coach, db, tmp_path, "mia@example.com")
    card = await next_card(coach, ben)
    await answer(coach, ben, card, correct=True)
    _, lesson, question = await delivery_facts(coach, card.delivery_id)
    await answer(coach, ben, await next_card(coach, ben), correct=True)  # so the first is not the last asked
    async with db.session() as session:
        for n in range(6):  # questions that an edit of the pack removed, due long before the real one
            session.add(ReviewState(person_id=ben, item_key=f"{lesson.id}/q{90 + n}", lesson_id=lesson.id,
                                    competency_id=lesson.competency_id, card={},
                                    due_at=clock.now - timedelta(days=30)))
    clock.advance(days=40)
    card = await next_card(coach, ben)
    _, _, asked = await delivery_facts(coach, card.delivery_id)
    assert card.kind == "review" and asked is not None and question is not None
    assert asked.item_key == question.item_key


async def test_a_question_known_before_the_lesson_comes_back_later_than_one_just_learned(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    """Placement answered right: the learner knew it already (rated Easy), so its first review waits
    longer than that of a question answered right after its lesson."""
    ben = await setup(coach, db, tmp_path)
    waits: dict[str, timedelta] = {}
    while len(waits) < 2:
        card = await next_card(coach, ben)
        await answer(coach, ben, card, correct=True)
        if card.kind in ("placement", "lesson") and card.kind not in waits:
            delivery, _, question = await delivery_facts(coach, card.delivery_id)
            async with db.session() as session:
                review = await session.get(ReviewState, (ben, question.item_key))
                answered = (await session.exec(select(Answer).where(Answer.delivery_id == delivery.id))).one()
            assert review is not None
            waits[card.kind] = review.due_at.replace(tzinfo=None) - answered.answered_at.replace(tzinfo=None)
    assert waits["placement"] > waits["lesson"] >= timedelta(days=1), waits
