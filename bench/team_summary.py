"""`/team` for a 20-person team while the database holds 10,000 or 1,000,000 answers (PostgreSQL).

    python bench/team_summary.py [--repeat 15] [--big 1000000]

Builds two databases with the starter pack and the same org: a manager with 4 team leads, each with 4
reports (20 people below the manager), and 1,000 other employees. The team has the same 5,000 answers (250
each, over 400 days) in both; everyone else shares the rest (5,000 or 995,000). It then times, round-robin
so noise hits both alike, the manager's whole `/team` reply (queries, summary, heatmap PNG) and the data
part alone (the team's standings), and prints each median as a ratio to the 10,000-answer database. Both
ratios must stay near 1: every query is bounded by the team through indexes that start with `person_id`.

Needs PostgreSQL at 127.0.0.1:5432 (trust auth), or COACH_BENCH_PG_ADMIN pointing at another server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import text

from bot.chat.coach import Coach
from bot.config import Settings
from bot.imports.org_chart import import_org_chart
from bot.imports.packs import import_content
from bot.team.summary import team_summary
from content.packs import STARTER
from store.db import Database
from store.people import person_by_email

ADMIN = os.environ.get("COACH_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
TEAM_ANSWERS = 250
OTHERS = 1000
MANAGER = "manager@bench.example"

FILL = """
WITH people AS (SELECT array_agg(id ORDER BY id) AS ids FROM person WHERE email LIKE :pattern),
     picks AS (
         SELECT array_agg(l.id ORDER BY l.competency_id) AS lessons,
                array_agg(l.current_version_id ORDER BY l.competency_id) AS versions,
                array_agg(q.id ORDER BY l.competency_id) AS questions,
                array_agg(q.item_key ORDER BY l.competency_id) AS items,
                array_agg(l.competency_id ORDER BY l.competency_id) AS competencies
         FROM (SELECT DISTINCT ON (competency_id) * FROM lesson WHERE format <> 'reflection'
               ORDER BY competency_id, level, id) l
         JOIN LATERAL (SELECT id, item_key FROM question WHERE lesson_version_id = l.current_version_id
                       ORDER BY position LIMIT 1) q ON true),
     rows AS (
         SELECT :first + g AS id, people.ids[1 + g % cardinality(people.ids)] AS person,
                1 + (g / cardinality(people.ids)) % cardinality(picks.lessons) AS pick,
                :now - make_interval(days => ((g::bigint * 7919) % 400)::int,
                                     mins => ((g::bigint * 104729) % 1440)::int) AS at, g
         FROM generate_series(0, :count - 1) AS g, people, picks),
     deliveries AS (
         INSERT INTO delivery (id, person_id, lesson_id, lesson_version_id, question_id, kind, origin, status,
                               due_at, attempts, created_at, sent_at)
         SELECT rows.id, rows.person, picks.lessons[rows.pick], picks.versions[rows.pick],
                picks.questions[rows.pick], 'lesson', 'scheduled', 'sent', rows.at, 1, rows.at, rows.at
         FROM rows, picks RETURNING id)
INSERT INTO answer (id, delivery_id, person_id, competency_id, lesson_version_id, question_id, item_key, choice,
                    correct, mastery_after, level_after, via, answered_at)
SELECT rows.id, rows.id, rows.person, picks.competencies[rows.pick], picks.versions[rows.pick],
       picks.questions[rows.pick], picks.items[rows.pick], 0, rows.g % 3 <> 0, (rows.g % 97) / 100.0,
       (rows.g % 97) / 40, 'bench', rows.at
FROM rows, picks
"""

STATES = """
INSERT INTO masterystate (person_id, competency_id, state, level, best_level, floor, placed, attempts, correct,
                          level_offset, relevance, updated_at)
SELECT DISTINCT person_id, competency_id, '{}'::jsonb, 1, 1, 0, true, 0, 0, 0, 1.0, :now FROM answer
"""


def org_chart() -> str:
    lines = ["email,name,manager_email,role,timezone", f"{MANAGER},Maria Manager,,people-manager,Europe/Berlin"]
    for lead in range(4):
        lines.append(f"t{lead}@bench.example,Lead {lead},{MANAGER},team-lead,Europe/Berlin")
        lines += [f"t{lead}x{n}@bench.example,Member {lead}-{n},t{lead}@bench.example,buyer,Europe/Berlin"
                  for n in range(4)]
    lines.append("boss@bench.example,Other Boss,,people-manager,America/New_York")
    lines += [f"o{n}@bench.example,Other {n},boss@bench.example,call-centre-agent,America/New_York"
              for n in range(OTHERS)]
    return "\n".join(lines) + "\n"


async def build(url: str, answers: int, folder: Path) -> int:
    """A database with the org and `answers` answers in all (5,000 of them the team's); the manager's id."""
    database = Database(url)
    await database.ensure_schema()
    await import_content(database, [STARTER])
    chart = folder / "org.csv"
    chart.write_text(org_chart())
    await import_org_chart(database, chart)
    team = 20 * TEAM_ANSWERS
    async with database.session() as session:
        await session.exec(text(FILL), params={"pattern": "t%@bench.example", "first": 1, "count": team, "now": NOW})
        await session.exec(text(FILL), params={"pattern": "o%@bench.example", "first": team + 1,
                                               "count": answers - team, "now": NOW})
        await session.exec(text(STATES), params={"now": NOW})
        for table in ("delivery", "answer"):
            await session.exec(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        manager = await person_by_email(session, MANAGER)
        assert manager is not None and manager.id is not None
    async with database.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
    await database.dispose()
    return manager.id


async def whole_reply(coach: Coach, manager: int) -> float:
    started = time.perf_counter()
    reply = await coach.command(manager, "", default="team")
    assert reply.messages[0].people == 20 and reply.attachments
    return time.perf_counter() - started


async def data_only(coach: Coach, manager: int) -> float:
    started = time.perf_counter()
    async with coach.services.database.session() as session:
        summary = await team_summary(session, manager, NOW, coach.services.config.mastery_threshold)
    assert summary is not None and summary.people == 20
    return time.perf_counter() - started


async def measure(cases: list[tuple[str, int]], repeat: int) -> dict[str, list[float]]:
    coaches = [Coach(Database(url), Settings(_env_file=None, database_url=url), clock=lambda: NOW)
               for url, _ in cases]
    medians: dict[str, list[float]] = {}
    for name, timed, rounds in (("whole /team reply", whole_reply, repeat), ("team data only", data_only, 3 * repeat)):
        samples: list[list[float]] = [[] for _ in cases]
        for coach, (_, manager) in zip(coaches, cases, strict=True):
            await timed(coach, manager)  # warm the pool, the caches and matplotlib
        for _ in range(rounds):
            for index, (coach, (_, manager)) in enumerate(zip(coaches, cases, strict=True)):
                samples[index].append(await timed(coach, manager))
        medians[name] = [statistics.median(s) for s in samples]
    for coach in coaches:
        await coach.services.database.dispose()
    return medians


def admin(statement: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--big", type=int, default=1_000_000, help="answers in the large database")
    args = parser.parse_args()
    sizes = [10_000, args.big]
    names = [f"bench_team_{uuid.uuid4().hex[:8]}" for _ in sizes]
    try:
        built = []
        with tempfile.TemporaryDirectory() as folder:
            for name, size in zip(names, sizes, strict=True):
                admin(f'CREATE DATABASE "{name}"')
                url = ADMIN.rsplit("/", 1)[0] + "/" + name
                started = time.perf_counter()
                built.append((url, asyncio.run(build(url, size, Path(folder)))))
                print(f"built {size:,} answers in {time.perf_counter() - started:.0f} s")
        medians = asyncio.run(measure(built, args.repeat))
    finally:
        for name in names:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"/team for a 20-person team on PostgreSQL, medians (ratio to {sizes[0]:,} answers)")
    print(f"{'':<20}" + "".join(f"{size:>14,}" for size in sizes) + f"{'ratio':>8}")
    for name, (small, big) in medians.items():
        print(f"{name:<20}{small * 1000:>12.1f}ms{big * 1000:>12.1f}ms{big / small:>8.2f}")


if __name__ == "__main__":
    main()
