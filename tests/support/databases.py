"""Throwaway databases for tests: SQLite files and PostgreSQL databases cloned from migrated templates.

Templates are built once per test run (schema, and schema + the starter pack); each test gets its own
copy, so tests never see each other's rows and never pay for migrations again.

On PostgreSQL a copy is `CREATE DATABASE … TEMPLATE`, which spends its time waiting on WAL flushes, not
computing; a clerk thread makes the next tests' copies ahead of time while the tests run. A test's end is a
`DROP DATABASE`, which in PostgreSQL 15 forces an immediate checkpoint of the whole server: every drop would
flush what the tests since the last one wrote, while the next test waits. So the finished databases are
dropped together when the run ends, over several connections, whose checkpoint requests PostgreSQL merges.
A test still gets a database nobody has used, copied from the same template.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import shutil
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

from bot.imports.packs import import_content
from content.packs import STARTER
from store.db import Database

PG_ADMIN = os.environ.get("COACH_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
SPARES = 2
"""PostgreSQL copies kept ready per template, beyond the one being handed out."""
WAIT_FOR_COPY = 300.0
"""Seconds a test waits for its copy before the clerk is taken for stuck."""
DROPPERS = 8
"""Connections dropping the finished databases at the end of the run."""


def pg_available() -> bool:
    """Whether PostgreSQL answers. A server that is down refuses at once; the generous timeout is for one that is
    up on a loaded machine, where a 3 s limit once made a required PostgreSQL count as missing."""
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=60, autocommit=True):
            return True
    except psycopg.Error:
        return False


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def _build(url: str, with_starter: bool) -> None:
    database = Database(url)
    await database.ensure_schema()
    if with_starter:
        await import_content(database, [STARTER])
    await database.dispose()


class Templates:
    """Migrated template databases of one kind ('sqlite' or 'postgresql'), built on first use."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.built: dict[bool, str] = {}
        self._clerk = _Clerk() if kind == "postgresql" else None

    def template(self, with_starter: bool) -> str:
        if with_starter not in self.built:
            name = f"coach_tpl_{'starter' if with_starter else 'empty'}_{RUN_ID}"
            if self.kind == "sqlite":
                url = f"sqlite:///{self.workdir / (name + '.db')}"
            else:
                _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                url = pg_url(name)
            asyncio.run(_build(url, with_starter))
            self.built[with_starter] = name
        return self.built[with_starter]

    def clone(self, with_starter: bool) -> str:
        """A fresh database copied from the template; returns its URL."""
        template = self.template(with_starter)
        if self._clerk is not None:
            return pg_url(self._clerk.take(template))
        name = f"coach_t_{uuid.uuid4().hex[:10]}"
        target = self.workdir / f"{name}.db"
        shutil.copyfile(self.workdir / f"{template}.db", target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if self._clerk is not None:
            self._clerk.drop(url.rsplit("/", 1)[1])
            return
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self._clerk is not None:
            self._clerk.close(then=list(self.built.values()))


class _Clerk:
    """A thread with one admin connection that copies templates ahead of the tests; it keeps the names of
    the databases the tests are done with, and drops them all at `close`."""

    def __init__(self) -> None:
        self._wanted: queue.Queue[str | None] = queue.Queue()
        self._ready: dict[str, queue.Queue[str | BaseException]] = {}
        self._finished: list[str] = []
        self._thread: threading.Thread | None = None
        self._broken: BaseException | None = None
        self._numbers = itertools.count(1)
        self._closing = False

    def take(self, template: str) -> str:
        """A copy of `template` nobody has used; asks for the one after it at once."""
        if self._broken is not None:
            raise self._broken
        if template not in self._ready:
            self._ready[template] = queue.Queue()
            for _ in range(SPARES):
                self._want(template)
        self._want(template)
        try:
            made = self._ready[template].get(timeout=WAIT_FOR_COPY)
        except queue.Empty:
            raise RuntimeError(f"no copy of {template} was made within {WAIT_FOR_COPY:.0f} s") from None
        if isinstance(made, BaseException):
            raise made
        return made

    def drop(self, name: str) -> None:
        self._finished.append(name)

    def close(self, then: list[str]) -> None:
        """Stop copying, then drop every finished database, every copy no test took, and the templates `then`."""
        self._closing = True
        if self._thread is not None:
            self._wanted.put(None)
            self._thread.join()
        spares = [made for ready in self._ready.values() for made in _drain(ready) if isinstance(made, str)]
        with ThreadPoolExecutor(DROPPERS) as droppers:
            list(droppers.map(lambda name: _admin(_drop(name)), self._finished + spares))
        for name in then:  # once no copy of them is left
            _admin(_drop(name))

    def _want(self, template: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._copy, name="test-database-clerk", daemon=True)
            self._thread.start()
        self._wanted.put(template)

    def _copy(self) -> None:
        try:
            conn = psycopg.connect(PG_ADMIN, autocommit=True)
        except psycopg.Error as exc:  # every test waiting for a copy hears why
            self._broken = exc
            for ready in self._ready.values():
                ready.put(exc)
            return
        with conn:
            while (template := self._wanted.get()) is not None and not self._closing:
                name = f"coach_t_{RUN_ID}_{next(self._numbers)}"
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                                sql.Identifier(template)))
                except psycopg.Error as exc:
                    self._ready[template].put(exc)
                else:
                    self._ready[template].put(name)


def _drain(ready: queue.Queue[str | BaseException]) -> list[str | BaseException]:
    found = []
    while not ready.empty():
        found.append(ready.get_nowait())
    return found


def _drop(name: str) -> sql.Composable:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(statement)
