"""Throwaway databases for tests: SQLite files and PostgreSQL databases cloned from migrated templates.

Templates are built once per test run (schema, and schema + the starter pack); each test gets its own
copy, so tests never see each other's rows and never pay for migrations again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bot.imports.packs import import_content
from content.packs import STARTER
from store.db import Database

PG_ADMIN = os.environ.get("COACH_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True):
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
        name = f"coach_t_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            target = self.workdir / f"{name}.db"
            shutil.copyfile(self.workdir / f"{template}.db", target)
            return f"sqlite:///{target}"
        _admin(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
        return pg_url(name)

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        else:
            _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.rsplit("/", 1)[1])))

    def close(self) -> None:
        if self.kind == "postgresql":
            for name in self.built.values():
                _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(statement)
