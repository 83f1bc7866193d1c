"""The kept team totals (`store.team_totals`) that a director's summary reads: counted again by the scheduler's
`team-totals` job once they are older than `team_totals_every` (so an answer and the passing days show at the
next count, and the summary says how old its figures are); equal, each time, to the totals counted live at the
same moment. `coach org import` counts them again once its import has committed, so the first summary after
it reads kept totals; totals counted before an import's change to the org chart are never shown: where that
count did not run (it failed, or another process imported and has not counted yet) the summary is counted live
until the job counts them again at its next tick. A manager's own small team stays live."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlmodel import select, update
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.engine.fitted import load_model
from bot.imports.org_chart import import_org_chart
from bot.replies import TeamSummary
from bot.team import rollup
from bot.team.summary import team_summary
from handlers.cli import app
from store import subtree, team_totals
from store.db import Database
from store.models import Answer, Delivery, Lesson, MasteryState, Person, TeamTotalsState
from store.types import utcnow
from tests.conftest import Clock
from tests.support.dispatching import loopback
from tests.team.test_counted_summary import NOW, layered_org, normal, seeded

THRESHOLD = 0.8


async def live_and_kept(db: Database, root: int, now) -> tuple[subtree.GroupTotals, team_totals.KeptTotals | None]:
    """The totals of `root`'s groups counted now, and the kept ones as a summary at `now` would read them."""
    async with db.session() as session:
        rule = rollup.level_rule(await load_model(session), THRESHOLD)
        return (await subtree.group_totals(session, root, rule, now),
                await team_totals.kept(session, root, rule, now, rollup.KEPT_FOR))


async def answer(db: Database, person: int, at) -> str:
    """`person` answers a lesson at `at` and now stands far above every bar in its competency."""
    async with db.session() as session:
        lesson, version, competency = (await session.exec(
            select(Lesson.id, Lesson.current_version_id, Lesson.competency_id).order_by(Lesson.id))).first()
        delivery = Delivery(person_id=person, lesson_id=lesson, lesson_version_id=version, kind="lesson",
                            status="sent", created_at=at, sent_at=at, due_at=at)
        session.add(delivery)
        await session.flush()
        session.add(Answer(delivery_id=delivery.id, person_id=person, competency_id=competency,
                           lesson_version_id=version, correct=True, answered_at=at))
        state = await session.get(MasteryState, (person, competency))
        if state is None:
            state = MasteryState(person_id=person, competency_id=competency, state={}, attempts=0, correct=0)
        state.state, state.attempts, state.correct = {"ability": 9.0, "ability_sd": 0.1}, 9, 9
        session.add(state)
    return competency


async def summary_at(db: Database, manager: int, now) -> TeamSummary:
    async with db.session() as session:
        view = await team_summary(session, manager, now, THRESHOLD)
    assert view is not None
    return view


async def test_an_answer_and_the_passing_days_show_at_the_scheduler_s_next_count(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await seeded(db, tmp_path, 1)
    boss, learner = ids["boss@example.com"], ids["p0x0x3@example.com"]
    assert clock.now == NOW
    async with loopback(coach) as (_fake, dispatcher):
        first = await dispatcher.tick(only=("team-totals",))
        assert first.team_totals > 0
        before = await summary_at(db, boss, NOW)
        assert before.counted and before.as_of == NOW

        await answer(db, learner, NOW + timedelta(minutes=1))
        clock.advance(minutes=2)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals == 0, "counted 2 minutes ago: fresh"
        stale = await summary_at(db, boss, clock.now)
        assert stale.as_of == NOW and "Counted 2 minutes ago, at Tue 1 Dec, 10:00 (Europe/Paris)" in plain(stale.note)
        assert "Counted 2 minutes ago" in plain(stale.text), "every client shows how old the figures are"
        assert [g.answered_7 for g in stale.groups] == [g.answered_7 for g in before.groups]
        small = await summary_at(db, ids["m0x0@example.com"], clock.now)
        live, _ = await live_and_kept(db, ids["m0x0@example.com"], clock.now)
        assert not small.counted and small.as_of == clock.now, "a manager's own small team is loaded live"
        assert sum(g.answered_7 for g in small.groups) == sum(a.answered_7 for a in live.activity.values())
        assert live.activity[learner].answered_7 >= 1, "the answer shows there at once"

        clock.advance(minutes=4)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals > 0, "6 minutes: counted again"
        live, kept = await live_and_kept(db, boss, clock.now)
        assert kept is not None and kept.as_of == clock.now and normal(kept.totals) == normal(live)
        after = await summary_at(db, boss, clock.now)
        assert "Counted less than a minute ago" in plain(after.note)
        assert after.groups[0].heading == "Lead 0's group"
        assert after.groups[0].answered_7 > before.groups[0].answered_7, "Lead 0's group has the new answer"

        week = [a.answered_7 for a in kept.totals.activity.values()]
        clock.advance(days=8)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals > 0
        live, kept = await live_and_kept(db, boss, clock.now)
        assert kept is not None and kept.as_of == clock.now and normal(kept.totals) == normal(live)
        assert [a.answered_7 for a in kept.totals.activity.values()] != week, "last week's answers left the week"


def coach_says(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> str:
    """What a `coach` command printed; it must succeed."""
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def reported(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[datetime, dict[int, int]]:
    """When Bea's `coach report team --json` says its figures were counted, and each group's people."""
    data = json.loads(coach_says(monkeypatch, url, "report", "team", "boss@example.com", "--json"))
    assert data["counted"] is True
    return datetime.fromisoformat(data["as_of"]), {g["head"]: g["people"] for g in data["groups"]}


def kept_report(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[datetime, dict[int, int]]:
    """Bea's report, asserted to read kept totals: two reports give the same `as_of`, from before the first one
    started (a live count is as of the moment it runs)."""
    started = utcnow()
    first = reported(monkeypatch, url)
    assert first == reported(monkeypatch, url) and first[0] < started, "read from the kept totals, not counted now"
    return first


def test_coach_org_import_counts_the_kept_totals_so_the_first_report_after_it_reads_them(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    chart = tmp_path / "org.csv"
    chart.write_text(layered_org(3, 3, 20))
    said = coach_says(monkeypatch, db_url, "org", "import", str(chart))
    assert "counted team totals for 14 managers" in said, "Bea, Olga, 3 leads and 9 managers"
    as_of, sizes = kept_report(monkeypatch, db_url)
    assert sorted(sizes.values()) == [64, 64, 64]

    moved = chart.read_text().replace("m0x0@example.com,Manager 0x0,lead0@example.com",
                                      "m0x0@example.com,Manager 0x0,lead1@example.com")
    chart.write_text(moved)
    said = coach_says(monkeypatch, db_url, "org", "import", str(chart))
    assert "0 new, 1 updated" in said and "counted team totals for 14 managers" in said
    after, sizes = kept_report(monkeypatch, db_url)
    assert after > as_of and sorted(sizes.values()) == [43, 64, 85], "the move shows at once, from kept totals"

    said = coach_says(monkeypatch, db_url, "org", "import", str(chart))
    assert "0 new, 0 updated" in said and "team totals: already counted" in said, "nothing changed: no count"
    assert kept_report(monkeypatch, db_url)[0] == after


async def test_an_import_whose_count_did_not_run_is_counted_live_until_the_scheduler_counts_it(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await seeded(db, tmp_path, 2)
    boss, lead0, lead1 = ids["boss@example.com"], ids["lead0@example.com"], ids["lead1@example.com"]
    moved = layered_org(4, 2, 20).replace("m0x0@example.com,Manager 0x0,lead0@example.com",
                                          "m0x0@example.com,Manager 0x0,lead1@example.com")
    chart = tmp_path / "moved.csv"
    chart.write_text(moved)
    async with loopback(coach) as (_fake, dispatcher):
        assert (await dispatcher.tick(only=("team-totals",))).team_totals > 0
        _, before = await live_and_kept(db, boss, clock.now)
        assert before is not None and before.as_of == NOW

        clock.advance(minutes=1)
        result = await import_org_chart(db, chart)
        assert result.updated == 2, "Manager 0x0 moved, and Lead 3 (gone in `seeded`) back"
        live, kept = await live_and_kept(db, boss, clock.now)
        assert kept is None, "totals counted before the import are never shown"
        assert group_sizes(live, lead0, lead1) == (1 + 21, 1 + 3 * 21)
        view = await summary_at(db, boss, clock.now)
        assert view.counted and view.as_of == clock.now and "Counted" not in plain(view.note), "counted live, now"
        assert {g.key: g.headcount for g in view.groups}[lead1] == 1 + 3 * 21
        async with db.session() as session:
            [state] = (await session.exec(select(TeamTotalsState))).all()
        assert state.as_of == NOW, "the import counted nothing"

        clock.advance(minutes=1)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals > 0, \
            "counted 2 minutes ago, but before the import: the next tick counts again"
        live, kept = await live_and_kept(db, boss, clock.now)
        assert kept is not None and kept.as_of == clock.now and normal(kept.totals) == normal(live)
        assert group_sizes(kept.totals, lead0, lead1) == (1 + 21, 1 + 3 * 21)
        assert "Counted less than a minute ago" in plain((await summary_at(db, boss, clock.now)).note)

        again = await import_org_chart(db, chart)
        assert (again.created, again.updated) == (0, 0)
        _, still = await live_and_kept(db, boss, clock.now)
        assert still is not None and still.as_of == kept.as_of, "an import that changed no one leaves them current"

        async with db.session() as session:
            await session.exec(update(Person).where(Person.id == ids["m0x1@example.com"]).values(active=False))
        _, left = await live_and_kept(db, boss, clock.now)
        assert left is not None and left.as_of == kept.as_of, \
            "a write outside an import (a leaver) changes no group: it shows at the next count, as answers do"
        clock.advance(minutes=1)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals == 0, "within the five minutes"
        clock.advance(minutes=5)
        assert (await dispatcher.tick(only=("team-totals",))).team_totals > 0
        live, counted = await live_and_kept(db, boss, clock.now)
        assert counted is not None and normal(counted.totals) == normal(live) != normal(kept.totals)


def group_sizes(totals: subtree.GroupTotals, *heads: int) -> tuple[int, ...]:
    """The people in the groups of `heads`, their heads included."""
    people: Counter[int] = Counter()
    for row in totals.roles:
        people[row.head] += row.people
    return tuple(people[head] for head in heads)


async def live_at(db: Database, root: int, now) -> subtree.GroupTotals:
    live, _ = await live_and_kept(db, root, now)
    return live


async def test_processes_counting_at_once_count_once(db: Database, tmp_path: Path) -> None:
    await seeded(db, tmp_path, 3)
    other = Database(db.url)  # a second process's connections to the same database
    every = timedelta(minutes=5)

    async def count(database: Database) -> team_totals.Refreshed:
        async with database.session() as session:
            return await rollup.refresh_totals(session, NOW, THRESHOLD, every=every)

    try:
        done = await asyncio.gather(count(db), count(other), count(db), count(other))
    finally:
        await other.dispose()
    assert sorted(d.counted for d in done) == [False, False, False, True]
    async with db.session() as session:
        assert (await session.exec(select(TeamTotalsState.as_of))).all() == [NOW]


async def test_an_import_from_another_process_is_counted_live_here_until_that_process_has_counted(
        db: Database, tmp_path: Path) -> None:
    ids = await seeded(db, tmp_path, 4)
    boss, lead0, lead1 = ids["boss@example.com"], ids["lead0@example.com"], ids["lead1@example.com"]
    async with db.session() as session:
        assert (await rollup.refresh_totals(session, NOW, THRESHOLD)).managers == 14
    chart = tmp_path / "moved.csv"
    chart.write_text(layered_org(4, 2, 20).replace("m0x0@example.com,Manager 0x0,lead0@example.com",
                                                   "m0x0@example.com,Manager 0x0,lead1@example.com"))
    other = Database(db.url)  # another process's connections to the same database: it imports, this one serves
    later = NOW + timedelta(minutes=1)
    try:
        assert (await import_org_chart(other, chart)).updated == 2
        live = await summary_at(db, boss, later)
        assert live.counted and live.as_of == later and "Counted" not in plain(live.note), "counted here, live"
        sizes = {g.key: g.headcount for g in live.groups}
        assert (sizes[lead0], sizes[lead1]) == (1 + 21, 1 + 3 * 21), "never the groups from before the import"

        done = await rollup.count_after_import(other, later, THRESHOLD)
        assert done is not None and done.counted and done.managers == 14
        kept = await summary_at(db, boss, later + timedelta(minutes=1))
        assert kept.as_of == later and "Counted 1 minute ago" in plain(kept.note), "read from the other process's count"
        assert [(g.key, g.headcount) for g in kept.groups] == [(g.key, g.headcount) for g in live.groups]
        again = await rollup.count_after_import(db, later + timedelta(minutes=1), THRESHOLD)
        assert again is not None and not again.counted, "counted after the import already: not again"
    finally:
        await other.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite waits 60 s for its write lock
def test_an_import_whose_count_fails_stands_and_the_next_import_of_the_same_file_counts(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=300")  # the coach's connections give up on a held lock
    chart = tmp_path / "org.csv"
    chart.write_text(layered_org(3, 3, 20))
    with psycopg.connect(db_url) as holder:  # another session holds the kept totals' table through the import
        holder.execute("LOCK TABLE teamtotal IN ACCESS EXCLUSIVE MODE")
        said = coach_says(monkeypatch, db_url, "org", "import", str(chart))
    assert "loaded" in said and "the team totals could not be counted" in said and "counted team totals" not in said
    started = utcnow()
    as_of, sizes = reported(monkeypatch, db_url)
    assert as_of >= started and sorted(sizes.values()) == [64, 64, 64], "counted live, with the imported chart"

    said = coach_says(monkeypatch, db_url, "org", "import", str(chart))
    assert "0 new, 0 updated" in said and "counted team totals for 14 managers" in said, \
        "the same file again writes nothing but counts what the failed count did not"
    assert sorted(kept_report(monkeypatch, db_url)[1].values()) == [64, 64, 64]
