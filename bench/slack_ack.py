"""Time to Slack's HTTP answer when 50 learners press an answer button at once: the coach versus a bare Bolt app.

    python bench/slack_ack.py [--database sqlite|postgresql] [--rounds 8] [--concurrency 50]

Both servers run on loopback in this process and answer the same correctly signed `block_actions`
requests, 50 at a time, for several rounds (alternating coach and baseline, so drift hits both):

- the coach: the real `/slack/events` route (signature and shape checks), Bolt, and the answer listener —
  which acknowledges and then grades the answer, updates the card and posts the result in the background,
  so that work competes with the answers being timed. Its Web API calls go to the fake Slack API running
  in a child process (Slack's own work is not on the coach's CPU);
- the baseline: a bare Bolt `AsyncApp` behind the stock aiohttp adapter whose listener only calls `ack()`,
  with the coach's Bolt settings (`process_before_response=True`), and again with Bolt's defaults.

It prints p50 and p99 of the time to the HTTP response and the coach's figures as ratios to the baselines,
and checks that every press was recorded exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.chat.coach import Coach
from bot.config import Settings
from bot.imports.org_chart import import_org_chart
from bot.replies import LessonCard
from handlers.platforms import Platforms
from handlers.server import build_app
from handlers.slack.runtime import attach_slack
from store.db import Database
from store.models import Answer
from tests.support.databases import Templates
from tests.support.fake_slack import TEAM, FakeSlack
from tests.support.slack_session import SIGNING_SECRET, sign

Post = Callable[[str], Awaitable[float]]
START_SECONDS = 600.0
"""How long the fake Slack child may take to print its URL before the bench stops with an error (a loaded
machine starts a Python process slowly)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fake-slack", type=int, metavar="USERS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_slack is not None:
        asyncio.run(_fake_slack(args.fake_slack))
        return
    with tempfile.TemporaryDirectory() as workdir:
        databases = Templates(args.database, Path(workdir))
        url = databases.clone(with_starter=True)
        try:
            asyncio.run(_run(url, Path(workdir), args.rounds, args.concurrency))
        finally:
            databases.drop(url)
            databases.close()


async def _run(url: str, workdir: Path, rounds: int, learners: int) -> None:
    database = Database(url, pool_size=20)
    org = workdir / "org.csv"
    org.write_text("email,name,manager_email,role,timezone,slack_user_id\n" + "".join(
        f"l{n}@example.com,Learner {n},,buyer,Europe/Berlin,U{n:05d}\n" for n in range(learners)))
    await import_org_chart(database, org)
    fake = await asyncio.create_subprocess_exec(sys.executable, __file__, "--fake-slack", str(learners),
                                                stdout=asyncio.subprocess.PIPE)
    slack_root = await _started(fake)
    config = Settings(_env_file=None, database_url=url, slack_bot_token=SecretStr("xoxb-bench"),
                      slack_signing_secret=SecretStr(SIGNING_SECRET), slack_api_url=slack_root + "/api/")
    coach = Coach(database, config)
    platforms = Platforms()
    listeners = attach_slack(platforms, coach, config)
    servers: list[web.AppRunner] = []
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        coach_url = await _serve(build_app(database, platforms.mounts), servers)
        tuned_url = await _serve(_bare_bolt(config.slack_api_url, process_before_response=True), servers)
        default_url = await _serve(_bare_bolt(config.slack_api_url, process_before_response=False), servers)
        bodies = [await _presses(coach, slack_root + "/respond/bench", learners) for _ in range(rounds + 1)]
        timings: dict[str, list[float]] = {"coach": [], "bare Bolt (same settings)": [], "bare Bolt (defaults)": []}
        targets = {"coach": coach_url, "bare Bolt (same settings)": tuned_url, "bare Bolt (defaults)": default_url}
        for index, round_bodies in enumerate(bodies):
            for name, target in targets.items():
                measured = await asyncio.gather(*(_post(http, target, body) for body in round_bodies))
                await listeners.background.drain()
                if index:  # the first round warms up (Bolt's auth.test, connection pools, caches)
                    timings[name].extend(measured)
        async with database.session() as session:
            answers = (await session.exec(select(func.count()).select_from(Answer))).one()
        if fake.returncode is not None:  # the coach's background calls after the acks had nowhere to go
            raise RuntimeError(f"the fake Slack process exited (code {fake.returncode}) during the run")
        _report(timings, rounds, learners, answers, url.split(":")[0])
    finally:
        await http.close()
        for runner in servers:
            await runner.cleanup()
        for cleanup in platforms.cleanups:
            await cleanup()
        if fake.returncode is None:
            fake.terminate()
        await fake.wait()
        await database.dispose()


async def _started(fake: asyncio.subprocess.Process) -> str:
    """The fake Slack child's root URL, which it prints once it listens; a RuntimeError if it exits or stays
    silent instead, so that no figure is measured against a Slack that is not there."""
    assert fake.stdout is not None
    try:
        line = (await asyncio.wait_for(fake.stdout.readline(), START_SECONDS)).decode().strip()
    except TimeoutError:
        fake.kill()
        await fake.wait()
        raise RuntimeError(f"the fake Slack process printed no URL within {START_SECONDS:g} s") from None
    if not line.startswith("http://"):
        await fake.wait()
        raise RuntimeError(f"the fake Slack process did not start (exit code {fake.returncode}, said {line!r})")
    return line


async def _presses(coach: Coach, response_url: str, learners: int) -> list[str]:
    """One signed answer press per learner, on a lesson just sent to them."""
    bodies = []
    for n in range(learners):
        person = await coach.identify("slack", f"U{n:05d}")
        assert person is not None and person.id is not None
        card = (await coach.command(person.id, "")).messages[0]
        assert isinstance(card, LessonCard) and card.options
        ts = f"1700000000.{card.delivery_id:06d}"
        await coach.sent(card.delivery_id, platform="slack", message_ref={"channel": f"DU{n:05d}", "ts": ts})
        option = card.options[0]
        payload = {
            "type": "block_actions", "user": {"id": f"U{n:05d}", "team_id": TEAM}, "team": {"id": TEAM},
            "api_app_id": "A0BENCH", "trigger_id": uuid.uuid4().hex, "response_url": response_url,
            "container": {"type": "message", "message_ts": ts, "channel_id": f"DU{n:05d}", "is_ephemeral": False},
            "channel": {"id": f"DU{n:05d}"}, "message": {"ts": ts},
            "actions": [{"type": "button", "action_id": "coach.answer.0", "block_id": "b",
                         "value": json.dumps(option.value), "text": {"type": "plain_text", "text": option.label}}],
        }
        bodies.append(urlencode({"payload": json.dumps(payload)}))
    return bodies


async def _fake_slack(users: int) -> None:
    """The child process: the fake Slack Web API with the learners in its directory, until terminated."""
    fake = await FakeSlack().start()
    for n in range(users):
        fake.add_user(f"U{n:05d}", f"l{n}@example.com")
    print(fake.root, flush=True)
    await asyncio.Event().wait()


async def _post(http: aiohttp.ClientSession, url: str, body: str) -> float:
    stamp = int(time.time())
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(stamp),
               "X-Slack-Signature": sign(body, stamp)}
    started = time.perf_counter()
    try:
        async with http.post(url, data=body, headers=headers) as response:
            await response.read()
            elapsed = time.perf_counter() - started
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise RuntimeError(f"a press sent to {url} was not answered: {exc!r}") from None
    if status != 200:
        raise RuntimeError(f"{url} answered {status}")
    return elapsed


def _bare_bolt(api_url: str, *, process_before_response: bool) -> web.Application:
    """The smallest Bolt app that answers the same requests: the stock adapter and an ack-only listener."""
    bolt = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=api_url), signing_secret=SIGNING_SECRET,
                    process_before_response=process_before_response)

    @bolt.action(re.compile(".*"))
    async def acknowledge(ack: Any) -> None:
        await ack()

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


async def _serve(app: web.Application, runners: list[web.AppRunner]) -> str:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    runners.append(runner)
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return f"http://127.0.0.1:{port}/slack/events"


def _report(timings: dict[str, list[float]], rounds: int, learners: int, answers: int, database: str) -> None:
    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    print(f"{rounds} rounds x {learners} concurrent answer presses, {database}; "
          f"answers recorded: {answers} of {(rounds + 1) * learners}")
    print(f"{'server':28} {'p50 ms':>8} {'p99 ms':>8}")
    figures = {name: (p(values, 50) * 1000, p(values, 99) * 1000) for name, values in timings.items()}
    for name, (p50, p99) in figures.items():
        print(f"{name:28} {p50:8.2f} {p99:8.2f}")
    coach_p50, coach_p99 = figures["coach"]
    for name, (p50, p99) in figures.items():
        if name != "coach":
            print(f"ratio coach / {name}: p50 {coach_p50 / p50:.2f}  p99 {coach_p99 / p99:.2f}")
    if answers != (rounds + 1) * learners:
        raise SystemExit("some presses were not recorded exactly once")


if __name__ == "__main__":
    main()
