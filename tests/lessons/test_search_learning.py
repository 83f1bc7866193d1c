"""Topic search learns from an organisation: picks among the choices and ratings of the lesson sent become
evidence for those words (per organisation, fading, only once several people agree), and searches nothing
answered are listed as content gaps for L&D. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.chat.coach import Coach
from bot.records.feedback import feedback_report
from bot.replies import LessonCard, Notice, Reply
from store.db import Database
from store.models import SearchEvidence
from store.search_log import HALF_LIFE_DAYS
from tests.conftest import Clock
from tests.support.org import load_sample_org

CLOSE = "lockout"
"""Two lessons fit about equally: the lock-out procedure, and finding the lock-out station."""
STATION = "safety-lockout-walkthrough"


async def _in_org(coach: Coach, ids: dict[str, int], org: str, *emails: str) -> list[int]:
    """The people, as their Slack accounts in workspace `org` (the organisation evidence is kept for)."""
    for email in emails:
        user = "U" + email.split("@")[0].upper()
        await coach.identify("slack", user, email=_known(email), workspace=org)
    return [ids[email] for email in emails]


def _known(email: str):  # type: ignore[no-untyped-def]
    async def lookup() -> str:
        return email
    return lookup


def _offer(reply: Reply) -> Notice:
    notice = reply.messages[0]
    assert isinstance(notice, Notice) and notice.buttons, reply
    return notice


async def _pick(coach: Coach, person: int, words: str, lesson_id: str) -> None:
    offer = _offer(await coach.command(person, f"/learn {words}"))
    [button] = [b for b in offer.buttons if b.value["l"] == lesson_id]
    assert "s" in button.value
    card = (await coach.press(person, "lesson", button.value, via="slack")).messages[0]
    assert isinstance(card, LessonCard)
    await coach.press(person, "lesson", button.value, via="slack")  # a second click teaches nothing more


async def test_picks_teach_search_once_two_people_agree_in_the_same_organisation_and_fade(
        coach: Coach, db: Database, tmp_path: Path, clock: Clock) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, cara, eli = await _in_org(coach, ids, "T-ACME", "ben@example.com", "cara@example.com", "eli@example.com")
    [fay] = await _in_org(coach, ids, "T-OTHER", "fay@example.com")

    await _pick(coach, ben, CLOSE, STATION)
    _offer(await coach.command(eli, f"/learn {CLOSE}"))  # one person's pick steers nobody
    await _pick(coach, cara, "LOCKOUT?", STATION)  # the same words, written differently
    async with db.session() as session:
        evidence = (await session.exec(select(SearchEvidence))).all()
    assert sorted((e.person_id, e.source, e.signal) for e in evidence) == [(ben, "pick", 1), (cara, "pick", 1)]

    card = (await coach.command(eli, f"/learn {CLOSE}")).messages[0]
    assert isinstance(card, LessonCard) and "lock-out station" in card.title
    _offer(await coach.command(fay, f"/learn {CLOSE}"))  # another organisation learned nothing

    clock.advance(days=2 * HALF_LIFE_DAYS)  # the evidence now counts a quarter
    _offer(await coach.command(eli, f"/learn {CLOSE}"))


async def test_not_relevant_ratings_stop_a_lesson_being_sent_for_those_words(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    people = await _in_org(coach, ids, "T-ACME", "ben@example.com", "cara@example.com", "eli@example.com")
    for person in people[:2]:
        card = (await coach.command(person, "/learn phishing")).messages[0]
        assert isinstance(card, LessonCard) and "Spot a phishing email" in card.title
        value = {"d": card.delivery_id, "r": "useful"}
        await coach.press(person, "feedback", value, via="slack")
        await coach.press(person, "feedback", {**value, "r": "not_relevant"}, via="slack")  # replaces the 👍
    async with db.session() as session:
        signals = (await session.exec(select(SearchEvidence.signal))).all()
    assert signals == [-1, -1]
    reply = (await coach.command(people[2], "/learn phishing")).messages[0]
    assert not (isinstance(reply, LessonCard) and "Spot a phishing email" in reply.title)


async def test_searches_nothing_answered_are_content_gaps_grouped_by_topic(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, cara, eli = ids["ben@example.com"], ids["cara@example.com"], ids["eli@example.com"]
    for person, words in ((ben, "kubernetes pod autoscaling"), (cara, "autoscaling kubernetes pods"),
                          (eli, "parental leave policy"), (eli, CLOSE), (ben, "who approves my purchase")):
        await coach.command(person, f"/learn {words}")
    await _pick(coach, cara, CLOSE, STATION)  # picked among the choices: answered
    async with db.session() as session:
        gaps = (await feedback_report(session))["content_gaps"]
    assert [(gap["people"], gap["suggestions"]) for gap in gaps] == [(2, 2), (1, 1), (1, 1)]
    assert set(gaps[0]["examples"]) == {"kubernetes pod autoscaling", "autoscaling kubernetes pods"}
    assert {gap["topic"] for gap in gaps[1:]} == {"parental leave policy", CLOSE}  # offered, but nobody picked
