"""Next-lesson decision time as the catalogue and the learner's history grow.

    python bench/engine.py [--database sqlite|postgresql] [--repeat 60]

Builds catalogues of 100, 1,000 and 10,000 lessons (8 competencies x 3 levels, 3 questions each) and a
learner with 10 or 10,000 past answers, then times `plan_next` — the whole decision, with its queries —
and prints each case's median as a ratio to the smallest case measured in the same run. It must stay
nearly flat: every query is bounded by the learner and by LIMITs, never by the catalogue.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, text

from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.engine.next_lesson import PolicyConfig, plan_next
from bot.engine.reads import SessionReads
from content.model import CompetencySpec, LessonSpec, Option, PackSpec, QuestionSpec, RoleSpec
from store import catalog
from store.db import Database
from store.models import Answer, Delivery, LearnerSettings, Lesson, MasteryState, Person, Question

COMPETENCIES = [f"c{i}" for i in range(8)]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def synthetic_pack(lessons: int) -> PackSpec:
    pack = PackSpec(id="bench", title="Bench", path=Path("."),
                    competencies=[CompetencySpec(id=c, name=f"Competency {c}") for c in COMPETENCIES],
                    roles=[RoleSpec(id="r", name="Role", requires={c: 3 for c in COMPETENCIES})])
    for n in range(lessons):
        competency, level = COMPETENCIES[n % 8], 1 + (n // 8) % 3
        questions = [QuestionSpec(key=f"q{k}", ask=f"Question {k} of lesson {n}?",
                                  options=[Option("right", True), Option("wrong"), Option("other")],
                                  explain="Because.") for k in range(1, 4)]
        pack.lessons.append(LessonSpec(id=f"l{n:05d}", title=f"Lesson {n} about topic {n % 97}",
                                       competency=competency, level=level, format="text", minutes=2,
                                       body="Some text.", file=Path(f"l{n}.md"), line=1, pack_id="bench",
                                       questions=questions))
    return pack


async def build(url: str, lessons: int, answers: int) -> int:
    """A database with the catalogue and one learner who answered `answers` questions."""
    database = Database(url)
    async with database.session() as session:
        await catalog.import_packs(session, [synthetic_pack(lessons)])
        person = Person(email="learner@bench.example", name="Learner", role_id="r")
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(LearnerSettings(person_id=person.id))
        for competency in COMPETENCIES:
            session.add(MasteryState(person_id=person.id, competency_id=competency, placed=True, floor=1,
                                     attempts=answers // 8, correct=answers // 16))
        await session.flush()
        rows = (await session.exec(
            Question.__table__.select().with_only_columns(Question.id, Question.lesson_version_id)  # type: ignore[attr-defined]
        )).all()
        versions = {v: lesson_id for lesson_id, v in
                    (await session.exec(Lesson.__table__.select().with_only_columns(  # type: ignore[attr-defined]
                        Lesson.id, Lesson.current_version_id))).all()}
        deliveries, answer_rows = [], []
        for n in range(answers):
            question_id, version_id = rows[n % len(rows)]
            at = NOW - timedelta(minutes=answers - n)
            deliveries.append({"id": n + 1, "person_id": person.id, "lesson_id": versions[version_id],
                               "lesson_version_id": version_id, "question_id": question_id, "kind": "lesson",
                               "origin": "scheduled", "status": "sent", "due_at": at, "created_at": at,
                               "sent_at": at, "attempts": 1})
            answer_rows.append({"delivery_id": n + 1, "person_id": person.id, "competency_id": COMPETENCIES[n % 8],
                                "lesson_version_id": version_id, "question_id": question_id, "choice": 0,
                                "correct": n % 3 != 0, "via": "bench", "answered_at": at})
        for start in range(0, len(deliveries), 2000):
            await session.exec(insert(Delivery).values(deliveries[start:start + 2000]))  # type: ignore[call-overload]
            await session.exec(insert(Answer).values(answer_rows[start:start + 2000]))  # type: ignore[call-overload]
    async with database.engine.connect() as conn:  # statistics, as autovacuum / a long-lived database has them
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    await database.dispose()
    return person.id


async def decide(database: Database, person_id: int) -> float:
    started = time.perf_counter()
    async with database.session() as session:
        ctx = await load_learner(session, person_id)
        model = await load_model(session)
        plan = await plan_next(SessionReads(session), ctx, model, NOW, PolicyConfig())
        assert plan is not None
    return time.perf_counter() - started


async def time_decisions(cases: list[tuple[str, int]], repeat: int) -> list[float]:
    """Median decision time per case, measured round-robin so that machine noise hits every case alike."""
    databases = [Database(url) for url, _ in cases]
    timings: list[list[float]] = [[] for _ in cases]
    for database, (_, person) in zip(databases, cases, strict=True):
        await decide(database, person)  # warm the connection pool and caches
    for _ in range(repeat):
        for index, (database, (_, person)) in enumerate(zip(databases, cases, strict=True)):
            timings[index].append(await decide(database, person))
    for database in databases:
        await database.dispose()
    return [statistics.median(t) for t in timings]


def new_url(kind: str, folder: Path) -> str:
    name = f"bench_engine_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        return f"sqlite:///{folder / name}.db"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    cases = [(100, 10), (1_000, 10), (10_000, 10), (100, 10_000), (10_000, 10_000)]
    with tempfile.TemporaryDirectory() as folder:
        built = []
        for lessons, answers in cases:
            url = new_url(args.database, Path(folder))
            built.append((url, asyncio.run(build(url, lessons, answers))))
        medians = asyncio.run(time_decisions(built, args.repeat))
    results = [(lessons, answers, seconds) for (lessons, answers), seconds in zip(cases, medians, strict=True)]
    base = results[0][2]
    print(f"next-lesson decision on {args.database}, median of {args.repeat} (ratio to 100 lessons / 10 answers)")
    print(f"{'lessons':>8} {'answers':>8} {'median ms':>10} {'ratio':>6}")
    for lessons, answers, seconds in results:
        print(f"{lessons:>8} {answers:>8} {seconds * 1000:>10.2f} {seconds / base:>6.2f}")


if __name__ == "__main__":
    main()
