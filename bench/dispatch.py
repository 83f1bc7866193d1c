"""Scheduled delivery: the dispatcher's throughput against a raw Slack client, and its memory as enrolment grows.

    python bench/dispatch.py [--database sqlite|postgresql] [--learners 10000] [--concurrency 8]

1. Throughput. N learners are due at once. One `Dispatcher.tick` claims them, lets the engine choose each one's
   lesson, records it, posts it through the real Slack courier to a fake Slack Web API that runs in another
   process (so Slack's side does not share the coach's CPU), and records each send. The baseline, measured in
   the same run against the same fake, is a raw slack_sdk `AsyncWebClient` posting the very same messages (the
   Block Kit the coach rendered) to the same DM channels with the same concurrency, over one kept-alive HTTP
   session as a competent script would, and nothing else. Printed: messages per second of both, the
   dispatcher's ratio to the baseline, the SQL statements the tick sent per learner, and each side's CPU time
   in this process per message (less moved by other work on the machine than wall time; the fake Slack's CPU
   is in neither). Pace is off on both sides: the raw client paces nothing, and the dispatcher's shared send
   budget (COACH_SENDS_PER_SECOND and every Slack method tier, COACH_SLACK_*_PER_MINUTE) is lifted for the run,
   so the figure is the dispatcher's own cost, not Slack's documented pace (300 posts a minute per workspace by
   default; docs/operations.md says how long a rollout takes at that pace).
2. Memory. For 1,000 and for 100,000 enrolled learners (1,000 of them due in both cases), a fresh child
   process runs one tick; printed are the tick's peak Python allocations (tracemalloc) and the process's peak
   RSS, and the ratios 100,000 / 1,000. They should stay near 1: nothing loads all learners at once.
3. Concurrent ticks (`--tick-learners 1000`). Real `coach dispatch --at <tomorrow>` processes on one database
   whose learners are all due, posting to the fake Slack (each post taking 50 ms, so ticks overlap): three
   started at once, and two where the second starts once the first is posting. Printed per run: lessons sent,
   posts repeated (the same delivery posted twice) and learners who got nothing — both must be 0 — and the
   time against one process alone on the same data in the same run. It shows that leases hold whatever time
   a tick simulates; it does not measure throughput (the posts are slowed on purpose).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import event, insert
from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.config import Settings
from bot.imports.packs import import_content
from bot.lessons.lessons import lesson_card
from content.packs import STARTER
from handlers.assembly import attach_platforms
from handlers.slack.blocks import messages_for
from store.db import Database
from store.models import ChatIdentity, Delivery, LearnerSettings, Person

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # a Tuesday; everyone's 00:00-23:59 UTC slot has passed
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CHUNK = 5000
DUE_IN_MEMORY_CASES = 1000


def new_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench_{uuid.uuid4().hex[:8]}.db'}"
    name = f"coach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


async def seed(url: str, enrolled: int, due: int) -> None:
    """The starter pack and `enrolled` learners on Slack (DM channel known), the first `due` of them due now."""
    database = Database(url)
    await import_content(database, [STARTER])
    for start in range(1, enrolled + 1, CHUNK):
        ids = range(start, min(start + CHUNK, enrolled + 1))
        async with database.session() as session:
            connection = await session.connection()
            await connection.execute(insert(Person), [
                Person(id=i, email=f"learner{i}@example.com", name=f"Learner {i}", timezone="UTC",
                       created_at=NOW, updated_at=NOW).model_dump() for i in ids])
            await connection.execute(insert(LearnerSettings), [
                LearnerSettings(person_id=i, days="1234567", window_start="00:00", window_end="23:59",
                                timezone="UTC", welcomed_at=NOW - timedelta(days=30), updated_at=NOW,
                                next_slot_at=NOW - timedelta(minutes=1) if i <= due else NOW + timedelta(days=1),
                                ).model_dump() for i in ids])
            await connection.execute(insert(ChatIdentity), [
                ChatIdentity(person_id=i, platform="slack", external_id=f"U{i:07d}", workspace="T0001",
                             address={"channel": f"D{i:07d}"}, updated_at=NOW).model_dump(exclude={"id"})
                for i in ids])
    await database.dispose()


UNPACED = 1e9
"""The send budget's rates for the run (per second and per minute): pace off, as the raw client has none."""


def config_for(url: str, slack_url: str, concurrency: int) -> Settings:
    return Settings(_env_file=None, database_url=url, slack_bot_token=SecretStr("xoxb-bench"),  # type: ignore[call-arg]
                    slack_signing_secret=SecretStr("bench-secret"), slack_api_url=slack_url,
                    sends_per_second=UNPACED, slack_posts_per_minute=UNPACED, slack_tier3_per_minute=UNPACED,
                    slack_tier4_per_minute=UNPACED, dispatch_concurrency=concurrency, coach_teams=False,
                    microsoft_app_id="")


async def tick(url: str, slack_url: str, concurrency: int) -> tuple[dict[str, float], float]:
    """One dispatcher tick at NOW through the real Slack courier; returns its report (with the SQL statements it
    sent and the CPU seconds this process spent) and its duration."""
    config = config_for(url, slack_url, concurrency)
    database = Database(url)
    await database.ensure_schema()
    platforms = attach_platforms(Coach(database, config, clock=lambda: NOW, worker_id="bench"), config)
    assert platforms.dispatcher is not None
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    started, cpu = time.perf_counter(), time.process_time()
    report = await platforms.dispatcher.tick()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    for cleanup in platforms.cleanups:
        await cleanup()
    await database.dispose()
    return {"sent": report.sent, "failed": report.failed, "deferred": report.deferred,
            "statements": statements, "cpu": cpu}, elapsed


async def rendered_messages(url: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Every message the dispatcher posted: (channel, text, blocks), rendered again the same way."""
    database = Database(url)
    messages = []
    async with database.session() as session:
        for delivery in (await session.exec(select(Delivery).order_by(col(Delivery.id)))).all():
            assert delivery.message_ref is not None
            for message in messages_for(await lesson_card(session, delivery)):
                messages.append((delivery.message_ref["channel"], message.text, message.blocks))
    await database.dispose()
    return messages


async def raw_client(slack_url: str, messages: list[tuple[str, str, list[dict[str, Any]]]],
                     concurrency: int) -> tuple[float, float]:
    """The baseline: the same messages through a bare AsyncWebClient, `concurrency` at a time, over one HTTP
    session (kept-alive connections), as a competent script would post them."""
    queue: asyncio.Queue[tuple[str, str, list[dict[str, Any]]]] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    async with aiohttp.ClientSession() as http:
        client = AsyncWebClient(token="xoxb-bench", base_url=slack_url, session=http)

        async def post() -> None:
            while not queue.empty():
                channel, text, blocks = queue.get_nowait()
                await client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(post() for _ in range(concurrency)))
        return time.perf_counter() - started, time.process_time() - cpu


async def stats(slack_url: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as http, http.get(slack_url.replace("/api/", "/stats")) as response:
        return await response.json()


@contextmanager
def fake_slack(delay: float = 0.0) -> Iterator[str]:
    """The fake Slack Web API in its own process (each post taking `delay` seconds); yields its base URL."""
    process = subprocess.Popen([sys.executable, "-m", "tests.support.fake_slack", str(delay)],
                               stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    assert process.stdout is not None and process.stdin is not None
    try:
        url = process.stdout.readline().strip()  # printed once it listens; nothing if it died first
        if not url.startswith("http://"):
            raise RuntimeError(f"the fake Slack process did not start (exit code {process.poll()}, said {url!r})")
        yield url
    finally:
        process.stdin.close()
        process.wait(timeout=30)


async def throughput(kind: str, folder: Path, slack_url: str, learners: int, concurrency: int) -> None:
    url = new_database(kind, folder)
    try:
        await seed(url, learners, learners)
        before = await stats(slack_url)
        report, coach_seconds = await tick(url, slack_url, concurrency)
        after = await stats(slack_url)
        assert report["sent"] == learners and after["deliveries"] - before["deliveries"] == learners, report
        messages = await rendered_messages(url)
        raw_seconds, raw_cpu = await raw_client(slack_url, messages, concurrency)
        posted = after["posts"] - before["posts"]
    finally:
        drop_database(url)
    coach_rate, raw_rate = posted / coach_seconds, len(messages) / raw_seconds
    print(f"throughput, {learners:,} due learners, concurrency {concurrency}, {kind}:")
    print(f"  dispatcher (claim, choose the lesson, record, post, record the send): {coach_seconds:7.1f} s  "
          f"{coach_rate:7.0f} messages/s")
    print(f"  raw AsyncWebClient posting the same {len(messages):,} messages:        {raw_seconds:7.1f} s  "
          f"{raw_rate:7.0f} messages/s")
    print(f"  ratio dispatcher / raw client: {coach_rate / raw_rate:.2f}  (repeated posts: {after['repeated']}; "
          f"SQL statements per learner: {report['statements'] / learners:.1f})")
    coach_cpu, raw_cpu = report["cpu"] / posted, raw_cpu / len(messages)
    print(f"  CPU of this process per message: dispatcher {coach_cpu * 1000:.2f} ms, raw {raw_cpu * 1000:.2f} ms;"
          f" ratio raw / dispatcher {raw_cpu / coach_cpu:.2f} (Slack's side runs in its own process, in neither)")


async def memory(kind: str, folder: Path, slack_url: str, concurrency: int) -> None:
    figures = {}
    for enrolled in (1_000, 100_000):
        url = new_database(kind, folder)
        try:
            await seed(url, enrolled, DUE_IN_MEMORY_CASES)
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--memory-child", url, slack_url, "--concurrency", str(concurrency),
                stdout=asyncio.subprocess.PIPE)
            out, _ = await child.communicate()
            assert child.returncode == 0, "the memory case's child process failed"
            figures[enrolled] = json.loads(out.decode().strip().splitlines()[-1])
        finally:
            drop_database(url)
    small, large = figures[1_000], figures[100_000]
    print(f"memory, one tick with {DUE_IN_MEMORY_CASES:,} due learners, {kind}:")
    for enrolled, figure in figures.items():
        print(f"  {enrolled:>7,} enrolled: tick peak allocations {figure['tick_peak_mb']:6.1f} MB, "
              f"process peak RSS {figure['peak_rss_mb']:6.1f} MB, sent {figure['sent']}")
    print(f"  ratio 100,000 / 1,000 enrolled: allocations {large['tick_peak_mb'] / small['tick_peak_mb']:.2f}, "
          f"RSS {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}")


async def memory_child(url: str, slack_url: str, concurrency: int) -> None:
    tracemalloc.start()
    report, _ = await tick(url, slack_url, concurrency)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"tick_peak_mb": peak / 2**20, "peak_rss_mb": rss_kb / 1024, "sent": report["sent"]}))


# Concurrent ticks ------------------------------------------------------------------------------------------------

TICK_POST_SECONDS = 0.05
"""How long each post takes at the fake Slack in the concurrent-ticks case, so that ticks really overlap."""


def tick_env(url: str, slack_url: str, concurrency: int) -> dict[str, str]:
    """`coach dispatch` as deployed, reaching the fake Slack; the per-workspace rate limit lifted."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "COACH_"))}
    return keep | {"COACH_DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench",
                   "SLACK_API_URL": slack_url, "COACH_SENDS_PER_SECOND": "1000000", "COACH_LOG_LEVEL": "ERROR",
                   "COACH_SLACK_POSTS_PER_MINUTE": "1e9", "COACH_SLACK_TIER3_PER_MINUTE": "1e9",
                   "COACH_SLACK_TIER4_PER_MINUTE": "1e9",
                   "COACH_DISPATCH_CONCURRENCY": str(concurrency)}


async def dispatch_process(env: dict[str, str], at: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from handlers.cli import main; main()", "dispatch", "--at", at, "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def posting_begun(slack_url: str, before: asyncio.subprocess.Process) -> None:
    """Return once the fake Slack has taken a few posts (the tick before is well into its batch) or that tick is
    over; a RuntimeError if it failed, rather than waiting for posts that will never come."""
    posts = 0
    while posts < 20:
        if before.returncode == 0:
            return
        if before.returncode is not None:
            raise RuntimeError(f"`coach dispatch` failed (exit code {before.returncode}) after {posts} posts, "
                               "before the next process was to start")
        await asyncio.sleep(0.05)
        posts = (await stats(slack_url))["posts"]


async def ticks_case(kind: str, folder: Path, learners: int, concurrency: int, processes: int,
                     stagger: bool) -> dict[str, float]:
    """`processes` real `coach dispatch --at <tomorrow>` processes on one fresh database of `learners` due
    learners: all at once, or (`stagger`) each started once the one before has begun posting. Returns the
    wall time, the lessons sent, the repeated posts and the learners who got nothing."""
    url = new_database(kind, folder)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=13, minute=0, second=0, microsecond=0)
    try:
        await seed(url, learners, learners)
        with fake_slack(TICK_POST_SECONDS) as slack_url:
            env = tick_env(url, slack_url, concurrency)
            started = time.perf_counter()
            running = []
            for _ in range(processes):
                if stagger and running:
                    await posting_begun(slack_url, running[-1])
                running.append(await dispatch_process(env, tomorrow.isoformat()))
            outputs = [await p.communicate() for p in running]
            seconds = time.perf_counter() - started
            assert all(p.returncode == 0 for p in running), [err.decode()[-500:] for _, err in outputs]
            posted = await stats(slack_url)
        database = Database(url)
        async with database.session() as session:
            sent = len((await session.exec(select(Delivery.id).where(col(Delivery.status) == "sent"))).all())
        await database.dispose()
    finally:
        drop_database(url)
    return {"seconds": seconds, "sent": sent, "repeated": posted["repeated"], "lost": learners - posted["deliveries"]}


async def concurrent_ticks(kind: str, folder: Path, learners: int, concurrency: int) -> None:
    """Case 3: several dispatchers at one simulated time (tomorrow) share the work without repeating or losing a
    lesson. Baseline: one process alone, on the same data, in the same run."""
    alone = await ticks_case(kind, folder, learners, concurrency, 1, stagger=False)
    print(f"concurrent ticks, {learners:,} due learners, `coach dispatch --at <tomorrow>` processes, {kind}:")
    print(f"  one process alone (baseline): {alone['seconds']:6.1f} s, sent {alone['sent']:.0f}, "
          f"repeated {alone['repeated']:.0f}, lost {alone['lost']:.0f}")
    for label, processes, stagger in (("3 at once", 3, False), ("2 overlapping", 2, True)):
        figure = await ticks_case(kind, folder, learners, concurrency, processes, stagger)
        print(f"  {label:<13}: {figure['seconds']:6.1f} s, sent {figure['sent']:.0f}, repeated posts "
              f"{figure['repeated']:.0f}, lost {figure['lost']:.0f}; time ratio to one alone "
              f"{figure['seconds'] / alone['seconds']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-concurrent-ticks", action="store_true")
    parser.add_argument("--tick-learners", type=int, default=1_000, help="learners in the concurrent-ticks case")
    parser.add_argument("--memory-child", nargs=2, metavar=("URL", "SLACK_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        asyncio.run(memory_child(*args.memory_child, args.concurrency))
        return
    if not (args.skip_throughput and args.skip_memory):
        with tempfile.TemporaryDirectory() as folder, fake_slack() as slack_url:
            if not args.skip_throughput:
                asyncio.run(throughput(args.database, Path(folder), slack_url, args.learners, args.concurrency))
            if not args.skip_memory:
                asyncio.run(memory(args.database, Path(folder), slack_url, args.concurrency))
    if not args.skip_concurrent_ticks:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(concurrent_ticks(args.database, Path(folder), args.tick_learners, args.concurrency))


if __name__ == "__main__":
    main()
