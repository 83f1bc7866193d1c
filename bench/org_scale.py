"""A whole organisation at once: `coach org import`, the root's `coach report team` and `/team` over HTTP, for a
small and a large org (and a deep management chain), on SQLite and PostgreSQL.

    python bench/org_scale.py [--database sqlite|postgresql|both] [--large 10000] [--full] [--repeat 3]

The org is a tree: everyone but the root reports to someone, eight to a manager, each with a role of the
starter pack and a Slack id. For the small (1,000) and the large (`--large`, 10,000 by default; `--full`: the
issue's 100,000) org, on a fresh database with the starter pack loaded, it measures:

- import: `import_org_chart` on the whole file in a fresh child process (its own time, so process start-up does
  not flatter the larger file's time per row), then the count of the kept team totals that `coach org import`
  runs once the import has committed (`bot.team.rollup.count_after_import`, timed apart), the child's peak RSS,
  and a second import of the unchanged file (which counts nothing);
- the whole `coach org import` command (process start included) of `--whole-rows` rows, against the floor: the
  same rows inserted raw into one table of a fresh database of the same kind, with the plain driver's
  `executemany` (`sqlite3`; psycopg 3, which pipelines it, on PostgreSQL);
- a 3,000-level chain (each person the manager of the next) against a flat file of the same 3,000 people, per row,
  the import alone and with the count of the kept team totals after it;
- a refresh of the kept team totals alone (`bot.team.rollup.refresh_totals`, what the scheduler's `team-totals`
  job runs), in a fresh child process;
- the root's `coach report team EMAIL --json` (wall time and peak RSS of the command);
- `/team` typed by the root: a signed Slack slash command to a `coach serve` process, timed until its reply reaches
  the fake Slack Web API's response_url: the first request (cold: a fresh server) apart from the `--repeat` warm
  ones; the server's peak RSS (VmHWM) after them.

The report and `/team` are timed twice: right after the import (and the count it runs after it: the summaries
read the kept rows) and after the scheduler's count.

`--summaries` measures only the import, the refresh, the report and `/team` (no re-imports, chain or whole
command); `--imports-only` only the import figures.

Printed are the medians over `--repeat` runs of each timing and the ratios large / small. What it does not show:
the orgs have no answers yet (the summaries' cost of answers is bench/team_summary.py's), and absolute times
depend on the machine; the ratios are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import psycopg
from dispatch import drop_database, new_database  # bench/dispatch.py: a fresh SQLite file or PostgreSQL database

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("buyer", "call-centre-agent", "shop-floor-operator", "new-hire")
FAN_OUT = 8
SECRET = "bench-signing-secret"
HEADER = "email,name,manager_email,role,timezone,slack_user_id\n"
MOMENTS = (("right after the import", "imported"), ("after the scheduler's count", "counted"))
"""When the root's summaries are timed: right after the import and the count it runs (before the scheduler's
next count), and after the scheduler's count."""
WAIT_SECONDS = 600.0
"""How long `coach serve` may take to start, and a `/team` to be answered, before the bench stops with an error
naming which: a loaded machine started it after more than 60 s, and no figure is printed for a request that
failed."""


def email(i: int) -> str:
    return f"p{i:06d}@bench.example"


def tree_rows(size: int) -> list[tuple[str, ...]]:
    """A balanced org: person i reports to person (i - 1) // FAN_OUT; managers are people-managers."""
    rows = []
    for i in range(size):
        manages = i * FAN_OUT + 1 < size
        role = "people-manager" if manages else ROLES[i % len(ROLES)]
        rows.append((email(i), f"Person {i:06d}", email((i - 1) // FAN_OUT) if i else "", role, "Europe/Berlin",
                     f"U{i:07d}"))
    return rows


def chain_rows(size: int) -> list[tuple[str, ...]]:
    """Each person manages the next one: a chain `size` levels deep."""
    return [(email(i), f"Person {i:06d}", email(i - 1) if i else "", "people-manager", "Europe/Berlin", f"U{i:07d}")
            for i in range(size)]


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows))
    return path


def coach(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("coach")), *args]


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, errors = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {errors[-2000:]}")
    rss = resource_of_last_child()
    return elapsed, rss, out


def resource_of_last_child() -> float:
    """The peak RSS of the child just reaped (getrusage of children is the maximum over all of them, so each
    measured command runs from its own short-lived helper process: see `isolated`)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def isolated(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `command` under a fresh helper process so its peak RSS is its own, not the largest seen so far."""
    helper = [sys.executable, __file__, "--measure", json.dumps(command)]
    result = subprocess.run(helper, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["rss_mb"], figures["out"]


def import_child(url: str, path: str) -> None:
    """In a fresh process: import the file and count the kept team totals after it, as `coach org import` does;
    print the time of each and the process's peak RSS."""
    import resource

    from bot.imports.org_chart import import_org_chart
    from bot.team.rollup import count_after_import
    from store.db import Database

    async def body() -> dict[str, Any]:
        database = Database(url)
        started = time.perf_counter()
        result = await import_org_chart(database, Path(path))
        elapsed = time.perf_counter() - started
        totals = await count_after_import(database, datetime.now(UTC), 0.8)
        counting = time.perf_counter() - started - elapsed
        await database.dispose()
        if totals is None:
            raise RuntimeError("the count of the kept team totals after the import failed")
        return {"seconds": elapsed, "count_s": counting, "counted": totals.counted, "created": result.created,
                "updated": result.updated}

    figures = asyncio.run(body())
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def refresh_child(url: str) -> None:
    """In a fresh process: count every manager's kept team totals again (what the scheduler's `team-totals` job
    does), print its seconds."""
    from bot.team.rollup import refresh_totals
    from store.db import Database

    async def body() -> float:
        database = Database(url)
        async with database.session() as session:
            started = time.perf_counter()
            await refresh_totals(session, datetime.now(UTC), 0.8)
        elapsed = time.perf_counter() - started
        await database.dispose()
        return elapsed

    print(json.dumps({"seconds": asyncio.run(body())}))


def child_refresh(url: str, env: dict[str, str]) -> float:
    result = subprocess.run([sys.executable, __file__, "--refresh-child", url], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"refresh failed: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def child_import(url: str, path: Path, env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, "--import-child", url, str(path)], env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"import of {path} failed: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepared(kind: str, folder: Path) -> tuple[str, dict[str, str]]:
    """A fresh database with the schema and the starter pack, and the environment that points `coach` at it."""
    url = new_database(kind, folder)
    env = {**os.environ, "COACH_DATABASE_URL": url, "COACH_LOG_LEVEL": "WARNING"}
    done = subprocess.run(coach("content", "import", "--starter"), env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"coach content import --starter failed: {done.stderr[-2000:]}")
    return url, env


RAW_TABLE = ("CREATE TABLE person (email TEXT PRIMARY KEY, name TEXT, manager_email TEXT, role TEXT, "
             "timezone TEXT, slack_user_id TEXT)")


def raw_floor(kind: str, rows: list[tuple[str, ...]], folder: Path) -> float:
    """The same rows, inserted raw into one table of a fresh database of the same kind, in one transaction, by
    the plain driver's executemany: the floor any import is compared with (connecting is timed too)."""
    if kind == "sqlite":
        path = folder / f"raw_{uuid.uuid4().hex[:8]}.db"
        started = time.perf_counter()
        with sqlite3.connect(path) as conn:
            conn.execute(RAW_TABLE)
            conn.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?, ?)", rows)
        return time.perf_counter() - started
    url = new_database(kind, folder)
    try:
        started = time.perf_counter()
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(RAW_TABLE)
            cursor.executemany("INSERT INTO person VALUES (%s, %s, %s, %s, %s, %s)", rows)
        return time.perf_counter() - started
    finally:
        drop_database(url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no peak RSS for process {pid}: it is gone, or /proc/{pid}/status has no VmHWM")


async def team_over_http(env: dict[str, str], repeat: int) -> tuple[float, list[float], float]:
    """Seconds from the root's signed `/team` to its reply at the response_url: the first (cold: a fresh server,
    right after the import) and each of `repeat` more (warm); and the server's peak RSS."""
    sys.path.insert(0, str(ROOT))
    from tests.support.fake_slack import TEAM, FakeSlack
    from tests.support.health import until_serving

    fake = await FakeSlack().start()
    fake.add_user("U0000000", email(0))
    port = free_port()
    server_env = {**env, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url}
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below) the server's stderr, shown if it dies
    server = await asyncio.create_subprocess_exec(*coach("serve", "--host", "127.0.0.1", "--port", str(port),
                                                         "--no-scheduler"), env=server_env,
                                                  stdout=subprocess.DEVNULL, stderr=log)
    times = []
    try:
        async with aiohttp.ClientSession() as http:
            await until_serving(http, port, server, within=WAIT_SECONDS)  # a loaded machine starts it slowly
            for attempt in range(repeat + 1):  # the first is the cold one
                name = f"team{attempt}"
                form = urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "bench",
                                  "channel_id": "DU0000000", "channel_name": "directmessage", "user_id": "U0000000",
                                  "user_name": "root", "command": "/team", "text": "", "api_app_id": "A0COACH",
                                  "response_url": fake.response_url(name), "trigger_id": f"trigger{attempt}"})
                stamp = int(time.time())
                signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{form}".encode(),
                                             hashlib.sha256).hexdigest()
                started = time.perf_counter()
                try:
                    async with http.post(f"http://127.0.0.1:{port}/slack/events", data=form.encode(), headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signature}) as response:
                        status, said = response.status, await response.text()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    raise RuntimeError(f"/team #{attempt} was not answered: {exc!r}") from None
                if status != 200:
                    raise RuntimeError(f"/team #{attempt} was answered {status}: {said[:500]}")
                try:
                    reply = (await fake.wait_for("response_url", within=WAIT_SECONDS, name=name))[0]
                except TimeoutError:
                    raise RuntimeError(f"/team #{attempt} got no reply at its response_url within "
                                       f"{WAIT_SECONDS:g} s") from None
                times.append(time.perf_counter() - started)
                if "lessons answered this week" not in reply.text_of_blocks:  # an error reply is no summary
                    raise RuntimeError(f"/team #{attempt} was answered without a team summary: "
                                       f"{reply.text_of_blocks[:500]}")
        rss = peak_rss_mb(server.pid)
    except Exception:
        log.seek(0)
        print(f"coach serve (exit code {server.returncode}) said: {log.read()[-3000:].decode(errors='replace')}",
              file=sys.stderr)
        raise
    finally:
        if server.returncode is None:
            server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 60)
        except TimeoutError:
            server.kill()
            await server.wait()
        await fake.stop()
        log.close()
    return times[0], times[1:], rss


def org_case(kind: str, folder: Path, size: int, repeat: int, parts: set[str]) -> dict[str, Any]:
    """Import, and for the `parts` asked: re-import ("imports"); a refresh of the kept team totals, report and
    /team ("summaries"), for a `size`-person tree on a fresh database."""
    path = write_csv(folder / f"tree_{size}.csv", tree_rows(size))
    url, env = prepared(kind, folder)
    try:
        first = child_import(url, path, env)
        assert first["created"] == size and first["counted"], first
        figures: dict[str, Any] = {"import_s": first["seconds"], "count_s": first["count_s"],
                                   "import_rss": first["rss_mb"]}
        if "imports" in parts:
            again = [child_import(url, path, env) for _ in range(repeat)]
            assert all(r["created"] == 0 and r["updated"] == 0 and not r["counted"] for r in again), again
            figures["reimport_s"] = statistics.median(r["seconds"] for r in again)
            figures["reimport_count_s"] = statistics.median(r["count_s"] for r in again)
        if "summaries" in parts:
            figures["imported"] = summaries(env, repeat)
            figures["refresh_s"] = child_refresh(url, env)
            figures["counted"] = summaries(env, repeat)
    finally:
        drop_database(url)
    return figures


def summaries(env: dict[str, str], repeat: int) -> dict[str, Any]:
    """The root's `report team` and `/team` over HTTP, each `repeat` times: their median times and peak RSS."""
    reports = [isolated(coach("report", "team", email(0), "--json"), env) for _ in range(repeat)]
    cold, http_times, http_rss = asyncio.run(team_over_http(env, repeat))
    return {"report_s": statistics.median(r[0] for r in reports), "report_rss": max(r[1] for r in reports),
            "http_cold_s": cold, "http_s": statistics.median(http_times), "http_rss": http_rss,
            "http_samples": http_times}


def chain_case(kind: str, folder: Path, depth: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Per-row import seconds of the deep chain and of a flat file of the same people; and the seconds of the
    count of the kept team totals after each import."""
    seconds, counts = [], []
    for name, rows in (("chain", chain_rows(depth)), ("flat", tree_rows(depth))):
        url, env = prepared(kind, folder)
        try:
            done = child_import(url, write_csv(folder / f"{name}.csv", rows), env)
        finally:
            drop_database(url)
        seconds.append(done["seconds"] / depth)
        counts.append(done["count_s"])
    return (seconds[0], seconds[1]), (counts[0], counts[1])


def whole_command(kind: str, folder: Path, size: int) -> tuple[float, float, float]:
    """The whole `coach org import` of `size` rows (process start included), the raw floor for them on the same
    kind of database, and the raw floor on SQLite (the issue's own yardstick, whatever the database)."""
    rows = tree_rows(size)
    path = write_csv(folder / f"whole_{size}.csv", rows)
    url, env = prepared(kind, folder)
    try:
        seconds, _rss, _ = isolated(coach("org", "import", str(path)), env)
    finally:
        drop_database(url)
    floors = {each: statistics.median(raw_floor(each, rows, folder) for _ in range(3)) for each in {kind, "sqlite"}}
    return seconds, floors[kind], floors["sqlite"]


def report(kind: str, small: int, large: int, repeat: int, whole_rows: int, depth: int, parts: set[str]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        figures = {size: org_case(kind, folder, size, repeat, parts) for size in (small, large)}
        if "imports" in parts:
            (chain, flat), chain_counts = chain_case(kind, folder, depth)
            whole, raw, raw_sqlite = whole_command(kind, folder, whole_rows)
    a, b = figures[small], figures[large]
    print(f"org scale, {kind}: {small:,} vs {large:,} people")
    for size, f in figures.items():
        print(f"  {size:>7,}: import {f['import_s']:7.2f} s ({f['import_s'] / size * 1e3:6.3f} ms/row, "
              f"peak RSS {f['import_rss']:6.0f} MB), then the kept team totals counted in {f['count_s']:.2f} s"
              + (f"; re-import {f['reimport_s']:7.2f} s (+ {f['reimport_count_s']:.2f} s finding the totals "
                 "current)" if "imports" in parts else ""))
        if "summaries" in parts:
            print(f"  {size:>7,}: kept team totals counted (the scheduler's job) in {f['refresh_s']:.2f} s")
            for when, key in MOMENTS:
                g = f[key]
                print(f"  {size:>7,} {when}: report team {g['report_s']:6.2f} s ({g['report_rss']:5.0f} MB); /team "
                      f"over HTTP cold {g['http_cold_s']:.3f} s, warm {g['http_s']:6.2f} s (server peak RSS "
                      f"{g['http_rss']:5.0f} MB; samples {', '.join(f'{t:.3f}' for t in g['http_samples'])} s)")
    both = {size: f["import_s"] + f["count_s"] for size, f in figures.items()}
    print(f"  import time per row {large:,} / {small:,}: {(b['import_s'] / large) / (a['import_s'] / small):.2f}"
          f" (with the count after it: {(both[large] / large) / (both[small] / small):.2f})"
          f"   peak memory: {b['import_rss'] / a['import_rss']:.2f}")
    if "summaries" in parts:
        for when, key in MOMENTS:
            x, y = a[key], b[key]
            print(f"  {when}: root /team over HTTP {large:,} / {small:,}: time {y['http_s'] / x['http_s']:.2f} "
                  f"(cold {y['http_cold_s'] / x['http_cold_s']:.2f}), server peak memory "
                  f"{y['http_rss'] / x['http_rss']:.2f}; root report team: time "
                  f"{y['report_s'] / x['report_s']:.2f}, peak memory {y['report_rss'] / x['report_rss']:.2f}")
    if "imports" in parts:
        again = {size: f["reimport_s"] + f["reimport_count_s"] for size, f in figures.items()}
        print(f"  re-import of the unchanged file / first import: {small:,} {a['reimport_s'] / a['import_s']:.2f}, "
              f"{large:,} {b['reimport_s'] / b['import_s']:.2f} (each with the count after it: "
              f"{small:,} {again[small] / both[small]:.2f}, {large:,} {again[large] / both[large]:.2f})")
        with_count = (chain + chain_counts[0] / depth) / (flat + chain_counts[1] / depth)
        print(f"  {depth:,}-deep chain per row / flat file of {depth:,} per row: {chain / flat:.2f} (with the count "
              f"after it: {with_count:.2f}; the count took {chain_counts[0]:.2f} s after the chain, "
              f"{chain_counts[1]:.2f} s after the flat file)")
        print(f"  whole `coach org import` of {whole_rows:,} rows (the count after it included) / raw {kind} "
              "executemany of them: "
              f"{whole / raw:.1f} ({whole:.2f} s vs {raw:.3f} s)" + ("" if kind == "sqlite" else
              f"; / raw sqlite3 executemany: {whole / raw_sqlite:.1f} ({raw_sqlite:.3f} s)"))


def measure(command: list[str]) -> None:
    """Helper process: run one command and print its time, its peak RSS and its output."""
    seconds, rss, out = run_measured(command, dict(os.environ))
    print(json.dumps({"seconds": seconds, "rss_mb": rss, "out": out[-200:]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="The issue's 100,000-person org (takes much longer).")
    parser.add_argument("--whole-rows", type=int, default=40_000, help="Rows of the whole-command vs raw case.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chain", type=int, default=3_000, help="Depth of the management chain case.")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--summaries", action="store_true", help="Only what the root's summaries cost: one import "
                      "per org, a refresh of the kept team totals, report team and /team (no re-imports, chain "
                      "or whole-command cases).")
    only.add_argument("--imports-only", action="store_true",
                      help="Only the import figures: no refresh, root `report team` or `/team` over HTTP.")
    parser.add_argument("--refresh-child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--import-child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="COMMAND", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_child:
        import_child(*args.import_child)
        return
    if args.refresh_child:
        refresh_child(args.refresh_child)
        return
    if args.measure:
        measure(json.loads(args.measure))
        return
    large = 100_000 if args.full else args.large
    parts = {"imports", "summaries"} - ({"imports"} if args.summaries else set()) \
        - ({"summaries"} if args.imports_only else set())
    for kind in (["sqlite", "postgresql"] if args.database == "both" else [args.database]):
        report(kind, args.small, large, args.repeat, args.whole_rows, args.chain, parts)


if __name__ == "__main__":
    main()
