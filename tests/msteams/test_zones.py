"""Teams learners in their own time zone, over real HTTP on both databases: the `localTimezone` a Teams client
reports is kept as a profile zone (below the learner's own choice and the org chart's), so a learner whose
only zone is Teams' gets scheduled lessons inside their local window; and dates in cards are written with
Adaptive Cards' DATE()/TIME() so each client shows them in its own locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.config import Settings
from bot.dispatch.digest import send_due_digests
from bot.lessons.schedule import zone_of
from handlers.msteams.summary import plain_words
from store.db import Database
from store.models import LearnerSettings, Person
from tests.conftest import Clock
from tests.support.fake_connector import ORG, FakeConnector, TeamsBot, connector, teams, teams_bot
from tests.support.learner import answer, next_card
from tests.support.teams_calls import submits

__all__ = ["connector", "teams"]  # fixtures

KAI = "kai@example.com,Kai Kiwi,mia@example.com,buyer,,,29:kai\n"
"""A learner the org chart gives no zone, in Teams only."""
AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in December: the default 10:00-17:00 is 21:00-04:00 UTC


async def _person(db: Database, email: str) -> tuple[Person, LearnerSettings | None]:
    async with db.session() as session:
        person = (await session.exec(select(Person).where(Person.email == email))).one()
        settings = await session.get(LearnerSettings, person.id)
        return person, settings


async def test_a_learner_whose_only_zone_is_teams_gets_lessons_in_their_local_window(
        db: Database, settings: Settings, clock: Clock, connector: FakeConnector, tmp_path: Path) -> None:
    async with teams_bot(db, settings, clock, connector, tmp_path, org=ORG + KAI) as bot:
        kai = bot.user("29:kai", "Kai Kiwi")
        clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Tuesday 12:00 in Auckland
        await kai.say("help", localTimezone="Pacific/Auckland")
        person, _ = await _person(db, "kai@example.com")
        assert person.timezone == "Pacific/Auckland"

        dispatcher = bot.platforms.dispatcher
        assert dispatcher is not None
        mark = len(bot.connector.calls)
        sent_at: list[datetime] = []
        for _ in range(2 * 24 * 2):  # two days of half-hour ticks
            before = len(bot.connector.sent(kai.conversation, after=mark))
            await dispatcher.tick()
            lessons = [c for c in bot.connector.sent(kai.conversation, after=mark)[before:]
                       if any(b["data"]["action"] == "answer" for b in submits(c))]
            sent_at += [clock.now] * len(lessons)
            clock.advance(minutes=30)
        assert len(sent_at) >= 2
        for moment in sent_at:
            local = moment.astimezone(AUCKLAND)
            assert local.isoweekday() <= 5 and 10 <= local.hour < 17, local  # never at night in Auckland


async def test_the_org_chart_comes_before_the_teams_zone(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")  # the org chart says Europe/Berlin
    await ben.say("help", localTimezone="Asia/Tokyo")
    person, _ = await _person(teams.db, "ben@example.com")
    assert person.timezone == "Europe/Berlin"

    await ben.say("help", localTimezone="America/Lima")  # nor does a zone reported later
    person, _ = await _person(teams.db, "ben@example.com")
    assert person.timezone == "Europe/Berlin"

    await ben.say("help", localTimezone="Not/AZone")  # a name the zone database does not know is ignored
    person, _ = await _person(teams.db, "ben@example.com")
    assert person.timezone == "Europe/Berlin"


async def test_the_next_lesson_in_the_progress_card_is_shown_in_the_readers_locale(
        db: Database, settings: Settings, clock: Clock, connector: FakeConnector, tmp_path: Path) -> None:
    async with teams_bot(db, settings, clock, connector, tmp_path, org=ORG + KAI) as bot:
        kai = bot.user("29:kai", "Kai Kiwi")
        await kai.say("help", localTimezone="Pacific/Auckland")
        dispatcher = bot.platforms.dispatcher
        assert dispatcher is not None
        await dispatcher.tick()  # plans Kai's next slot
        [progress] = await kai.say("progress", localTimezone="Pacific/Auckland")
        found = re.search(r"next lesson \{\{DATE\((\S+), SHORT\)\}\} \{\{TIME\((\S+)\)\}\}", progress.text)
        assert found is not None and found.group(1) == found.group(2), progress.text
        slot = datetime.fromisoformat(found.group(1))
        assert slot > clock.now - timedelta(minutes=1)
        assert slot.utcoffset() == slot.astimezone(AUCKLAND).utcoffset()  # the stamp is on Kai's clock (RFC 3339)
        assert 10 <= slot.hour < 17  # the client shows this in Kai's own zone and locale
        assert "(Europe/" not in progress.text and "(UTC)" not in progress.text  # no server-built English date


async def test_the_learners_own_zone_comes_before_the_teams_zone(
        db: Database, settings: Settings, clock: Clock, connector: FakeConnector, tmp_path: Path) -> None:
    async with teams_bot(db, settings, clock, connector, tmp_path, org=ORG + KAI) as bot:
        kai = bot.user("29:kai", "Kai Kiwi")
        await kai.say("help")
        person, _ = await _person(db, "kai@example.com")
        async with db.session() as session:  # Kai chose Lisbon in the settings form
            chosen = await session.get(LearnerSettings, person.id) or LearnerSettings(person_id=person.id)
            chosen.timezone = "Europe/Lisbon"
            session.add(chosen)
            await session.commit()
        await kai.say("help", localTimezone="Pacific/Auckland")
        person, chosen = await _person(db, "kai@example.com")
        assert chosen is not None and zone_of(chosen, person) == "Europe/Lisbon"
        [progress] = await kai.say("progress")
        assert "Europe/Lisbon" in progress.text


async def test_a_date_in_a_notice_is_a_card_function_and_its_summary_is_in_the_readers_locale(
        teams: TeamsBot) -> None:
    """Ben's org chart zone is Europe/Berlin: his last day away is held at noon there (11:00 UTC); the card
    writes it with DATE() and the notification words follow the locale his Teams client reports."""
    ben = teams.user("29:ben", "Ben Buyer")
    [german] = await ben.say("away 2026-12-24", locale="de-DE")
    stamp = "2026-12-24T12:00:00+01:00"
    assert f"up to and including {{{{DATE({stamp}, SHORT)}}}}." in german.text
    content = german.cards[0]
    assert german.body is not None
    assert "up to and including Do., 24. Dez." in german.body["summary"]
    assert content["fallbackText"] == german.body["summary"]  # a client without cards reads the same words

    [american] = await ben.say("away 2026-12-24", locale="en-US")
    assert "up to and including Thu, Dec 24." in american.body["summary"]  # type: ignore[index]
    [unsaid] = await ben.say("away 2026-12-24")  # no locale: the coach's own English, 24-hour clock
    assert "up to and including Thu 24 Dec." in unsaid.body["summary"]  # type: ignore[index]
    assert "{{" not in unsaid.body["summary"]  # type: ignore[index]


async def test_a_message_nobody_asked_for_has_its_words_in_the_locale_the_person_last_wrote_in(
        teams: TeamsBot, clock: Clock) -> None:
    """The weekly digest goes by the dispatcher, outside any turn: its notification words follow the locale of
    the conversation reference stored when Mia last wrote (Europe/Berlin, Monday 7 December)."""
    mia = teams.user("29:mia", "Mia Manager")
    await mia.say("help", locale="de-DE")
    await teams.coach.save_settings(teams.ids["mia@example.com"], {"digest_opt_in": True})
    clock.now = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 09:30 on Monday in Berlin
    mark = len(teams.connector.calls)
    dispatcher = teams.platforms.dispatcher
    assert dispatcher is not None
    assert await send_due_digests(dispatcher.sender, clock.now) == 1
    [digest] = [c for c in teams.connector.sent(mia.conversation, after=mark) if "weekly team digest" in c.text]
    assert "**Your weekly team digest** · {{DATE(2026-12-07T12:00:00+01:00, SHORT)}}" in digest.text
    assert digest.body is not None and digest.body["summary"] == "Your weekly team digest · Mo., 7. Dez."


async def test_a_manager_reads_a_reports_old_last_active_day_with_a_card_function_on_her_clock(
        teams: TeamsBot, clock: Clock) -> None:
    """Ben last answered at 00:30 on Wednesday 2 December in Berlin (still Tuesday in UTC), then nothing for 40
    days. Mia (Europe/Berlin, a de-DE Teams client) gets that day as DATE() stamped on her clock, which her
    client writes in German; the notification line is words, and no English date is fixed on the server."""
    ben = teams.ids["ben@example.com"]
    clock.now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    await answer(teams.coach, ben, await next_card(teams.coach, ben), True)
    clock.advance(days=40)
    mia = teams.user("29:mia", "Mia Manager")
    day = "{{DATE(2026-12-02T00:30:00+01:00, SHORT)}}"

    [summary, *_] = await mia.say("team", locale="de-DE")
    [row] = [line for line in summary.text.splitlines() if "**Ben Buyer** —" in line]
    assert row.endswith(f"streak 0 · {day} · 💤 quiet"), row
    assert "Ben Buyer — no lesson answered since Mi., 2. Dez." in plain_words(summary.text, "de-DE")
    assert summary.body is not None and summary.body["summary"].startswith("Your team: 4 people")
    assert "{{" not in summary.body["summary"]

    [detail, *_] = await mia.say("team ben", locale="de-DE")
    assert f"last active {day}" in detail.text
    assert "Dec" not in detail.text.replace(day, ""), "no English date written on the server"
