"""Learners' schedules: slots inside the local window across time zones and DST changes, weekends, pause and
time away — the pure rules, then the dispatcher and `/learn away` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.lessons.preferences import SettingsError
from bot.lessons.schedule import (
    due_slot,
    next_slot,
    next_slot_for,
    slots_on,
    upcoming_lesson,
    window_opening,
    zone_of,
)
from bot.replies import Moment, Phrase
from store.db import Database
from store.models import LearnerSettings, PausePeriod, Person, ReviewState
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, loopback
from tests.support.learner import option_for
from tests.support.org import load_sample_org

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham", "UTC",
         "America/St_Johns", "Asia/Kathmandu"]
DST_DAYS = [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 29), date(2026, 3, 30), date(2026, 4, 5),
            date(2026, 10, 25), date(2026, 10, 26), date(2026, 11, 1), date(2026, 11, 2)]


def learner(person_id: int = 1, **fields: object) -> LearnerSettings:
    return LearnerSettings(person_id=person_id, **fields)  # type: ignore[arg-type]


def test_the_next_lesson_a_learner_is_told_of_never_lies_in_the_past() -> None:
    """A slot the dispatcher has not reached yet (it was down, or this is a copy of the database) is owed:
    it goes at the next tick while the window is open, else at the next slot."""
    berlin = "Europe/Berlin"
    slot = datetime(2026, 11, 30, 9, 49, tzinfo=UTC)  # Monday 10:49 in Berlin
    ahead = learner(next_slot_at=slot)
    assert upcoming_lesson(ahead, berlin, slot - timedelta(hours=1)) == slot
    inside = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # Wednesday 13:00 in Berlin: the window is open
    assert upcoming_lesson(ahead, berlin, inside) == inside
    evening = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # Wednesday 20:00: closed until Thursday
    told = upcoming_lesson(ahead, berlin, evening)
    assert told is not None and told > evening
    assert told == next_slot_for(ahead, berlin, evening).at  # type: ignore[union-attr]
    assert plain(Phrase.of(Moment(told, berlin))).startswith("Thu 3 Dec, ")
    assert upcoming_lesson(learner(next_slot_at=slot, paused=True), berlin, inside) is None
    assert upcoming_lesson(learner(), berlin, inside) is None


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("per_day", [1, 3])
def test_every_slot_falls_inside_the_local_window_also_on_dst_changes(zone: str, per_day: int) -> None:
    for day in DST_DAYS:
        for person_id in range(1, 40):
            slots = slots_on(day, person_id=person_id, days="1234567", start="10:00", end="17:00", per_day=per_day,
                             zone=zone)
            assert len(slots) == per_day and [s.key for s in slots] == [f"{day}#{n}" for n in range(1, per_day + 1)]
            times = [s.at for s in slots]
            assert times == sorted(set(times))
            for slot in slots:
                local = slot.at.astimezone(ZoneInfo(zone))
                assert local.date() == day and time(10) <= local.time() < time(17), (zone, day, local)


def test_a_window_around_the_missing_and_the_repeated_hour() -> None:
    for day, hours in ((date(2026, 3, 29), 3), (date(2026, 10, 25), 5)):  # Berlin: 02:00–03:00 skipped / twice
        slots = slots_on(day, person_id=7, days="7", start="01:00", end="05:00", per_day=4, zone="Europe/Berlin")
        opens = datetime.combine(day, time(1), ZoneInfo("Europe/Berlin")).astimezone(UTC)
        assert all(opens <= s.at < opens + timedelta(hours=hours) for s in slots) and len(slots) == 4


def test_the_same_local_window_moves_in_utc_when_the_clocks_change() -> None:
    friday = slots_on(date(2026, 3, 27), person_id=3, days="12345", start="10:00", end="17:00", per_day=1,
                      zone="Europe/Berlin")[0]
    monday = slots_on(date(2026, 3, 30), person_id=3, days="12345", start="10:00", end="17:00", per_day=1,
                      zone="Europe/Berlin")[0]
    assert friday.at.astimezone(ZoneInfo("Europe/Berlin")).time() == monday.at.astimezone(
        ZoneInfo("Europe/Berlin")).time()
    assert (monday.at - friday.at) == timedelta(days=3, hours=-1)


def test_weekends_and_days_off_have_no_slots_and_next_slot_skips_them() -> None:
    assert slots_on(date(2026, 12, 5), person_id=1, days="12345", start="10:00", end="17:00", per_day=1,
                    zone="UTC") == []
    friday_evening = datetime(2026, 12, 4, 18, tzinfo=UTC)
    slot = next_slot(friday_evening, person_id=1, days="12345", start="10:00", end="17:00", per_day=1, zone="UTC")
    assert slot is not None and slot.key == "2026-12-07#1"
    only_wednesday = next_slot(friday_evening, person_id=1, days="3", start="10:00", end="17:00", per_day=2,
                               zone="UTC")
    assert only_wednesday is not None and only_wednesday.key == "2026-12-09#1"


def test_what_is_due_now() -> None:
    settings = learner(1, timezone="Europe/Berlin")
    [slot] = slots_on(date(2026, 12, 1), person_id=1, days="12345", start="10:00", end="17:00", per_day=1,
                      zone="Europe/Berlin")
    assert due_slot(settings, "Europe/Berlin", slot.at - timedelta(seconds=1)) is None  # not yet
    assert due_slot(settings, "Europe/Berlin", slot.at) == slot
    late = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)  # 16:59 in Berlin
    assert due_slot(settings, "Europe/Berlin", late) == slot
    assert due_slot(settings, "Europe/Berlin", late + timedelta(minutes=1)) is None  # the window has closed
    assert due_slot(settings, "Europe/Berlin", slot.at + timedelta(days=4)) is None  # Saturday
    assert due_slot(learner(1, paused=True), "Europe/Berlin", slot.at) is None
    assert due_slot(learner(1, away_until=date(2026, 12, 1)), "Europe/Berlin", slot.at) is None


def test_a_held_lesson_goes_when_the_window_next_opens() -> None:
    zone = "America/New_York"
    at_work = datetime(2026, 12, 1, 16, tzinfo=UTC)  # 11:00 in New York
    assert window_opening(learner(), zone, at_work) == at_work
    friday_night = datetime(2026, 12, 5, 2, tzinfo=UTC)  # Friday 21:00 in New York
    assert window_opening(learner(), zone, friday_night) == datetime(2026, 12, 7, 15, tzinfo=UTC)
    away = learner(away_until=date(2026, 12, 8))
    assert window_opening(away, zone, at_work) == datetime(2026, 12, 9, 15, tzinfo=UTC)


def test_next_slot_after_time_away_is_the_first_day_back() -> None:
    settings = learner(5, away_until=date(2026, 12, 11))  # a Friday
    slot = next_slot_for(settings, "UTC", datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert slot is not None and slot.local_date == date(2026, 12, 14)


def test_the_zone_is_the_learners_choice_then_the_org_charts() -> None:
    person = Person(id=1, email="a@x.com", name="A", timezone="America/Chicago")
    assert zone_of(learner(timezone="Asia/Tokyo"), person) == "Asia/Tokyo"
    assert zone_of(learner(), person) == "America/Chicago"
    assert zone_of(learner(timezone="Mars/Olympus"), person) == "America/Chicago"
    assert zone_of(learner(), Person(id=2, email="b@x.com", name="B")) == "UTC"


async def test_the_dispatcher_follows_berlins_summer_time(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    berlin = {ids[e] for e in ("dana@example.com", "mia@example.com", "ben@example.com", "eli@example.com")}
    monday = datetime(2026, 3, 30, tzinfo=UTC)  # the day after the change to CEST (UTC+2)
    async with loopback(coach) as (_fake, dispatcher):
        clock.now = monday
        await dispatcher.tick()
        clock.now = monday + timedelta(hours=15, minutes=30)  # 17:30 in Berlin (16:30 if DST were ignored)
        await dispatcher.tick()
        assert not berlin & {d.person_id for d in await all_deliveries(db)}
        assert ids["cara@example.com"] in {d.person_id for d in await all_deliveries(db)}  # 16:30 in London
        clock.now = monday + timedelta(days=1, hours=14, minutes=30)  # Tuesday 16:30 in Berlin
        await dispatcher.tick()
    tuesday = [d for d in await all_deliveries(db) if d.person_id in berlin]
    assert {d.slot for d in tuesday} == {"2026-03-31#1"} and len(tuesday) == 4
    for delivery in tuesday:
        assert delivery.sent_at is not None
        assert delivery.sent_at.astimezone(ZoneInfo("Europe/Berlin")).hour == 16


async def test_time_away_skips_lessons_moves_reviews_and_excuses_the_streak(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    clock.now = datetime(2026, 12, 1, 8, tzinfo=UTC)  # Tuesday
    card = (await coach.command(ben, "")).messages[0]
    right = await option_for(coach, card, correct=True)  # a placement miss has no review to move
    await coach.press(ben, "answer", {"d": card.delivery_id, "o": right}, via="slack")
    due_before = await review_dues(db, ben)
    assert due_before

    reply = await coach.command(ben, "away 2026-12-04")
    said = reply.messages[0].text
    assert [part.local.date() for part in said.parts if isinstance(part, Moment)] == [date(2026, 12, 4),
                                                                                      date(2026, 12, 7)]
    assert "up to and including Fri 4 Dec. Your next lesson comes on Mon 7 Dec." in plain(said)
    assert [d - b for d, b in zip(await review_dues(db, ben), due_before, strict=True)] == [timedelta(days=4)] * len(
        due_before)
    async with db.session() as session:
        periods = (await session.exec(select(PausePeriod).where(PausePeriod.person_id == ben))).all()
    assert len(periods) == 1 and periods[0].ended_at is not None
    assert periods[0].ended_at.astimezone(ZoneInfo("Europe/Berlin")).date() == date(2026, 12, 4)

    async with loopback(coach) as (_fake, dispatcher):
        for day in range(7):
            clock.now = datetime(2026, 12, 1, 15, 30, tzinfo=UTC) + timedelta(days=day)
            await dispatcher.tick()
    mine = sorted(d.slot or "" for d in await all_deliveries(db) if d.person_id == ben and d.origin == "scheduled")
    assert mine == ["2026-12-07#1"]  # nothing Tuesday to Friday, nothing at the weekend

    clock.now = datetime(2026, 12, 8, 8, tzinfo=UTC)
    await coach.command(ben, "away 2026-12-10")
    await coach.command(ben, "away off")
    assert await review_dues(db, ben) == [d + timedelta(days=4) for d in due_before]  # only the first trip counts


async def test_the_settings_form_sets_and_checks_time_away(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    await coach.save_settings(ben, {"away_until": "2026-12-24"})
    assert (await coach.settings_form(ben)).away_until == date(2026, 12, 24)
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
    assert settings is not None and settings.next_slot_at is not None
    assert settings.next_slot_at.astimezone(ZoneInfo("Europe/Berlin")).date() == date(2026, 12, 25)  # the day after
    with pytest.raises(SettingsError) as refused:
        await coach.save_settings(ben, {"away_until": "2026-11-30"})
    assert refused.value.field == "away_until"
    await coach.save_settings(ben, {"away_until": ""})
    assert (await coach.settings_form(ben)).away_until is None


async def review_dues(db: Database, person_id: int) -> list[datetime]:
    async with db.session() as session:
        rows = (await session.exec(select(ReviewState).where(ReviewState.person_id == person_id)
                                   .order_by(ReviewState.item_key))).all()
    return [row.due_at for row in rows]
