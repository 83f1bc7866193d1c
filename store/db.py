"""The async engine and sessions, on SQLite (aiosqlite) or PostgreSQL (psycopg 3), and schema creation."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

import store.models  # noqa: F401  (registers every table on the metadata)

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_LOCK_KEY = 7_311_946_011  # pg advisory lock id: one process migrates at a time


def async_url(url: str) -> str:
    """Turn the URL people write (`sqlite:///x.db`, `postgresql://…`) into the async driver's URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:///file.db or postgresql://…")


def alembic_config() -> Config:
    """Alembic's configuration pointing at the bundled migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


class Database:
    """One per process: owns the connection pool, hands out sessions, and creates the schema on first use."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = _create_engine(async_url(url), echo=echo, pool_size=pool_size)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`: the few queries that differ ask this."""
        return self.engine.dialect.name

    async def ensure_schema(self) -> None:
        """Run the Alembic migrations up to head, once per process; safe when processes start together."""
        async with self._schema_lock, _migration_lock():
            if self._schema_ready:
                return
            async with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
                await conn.run_sync(_upgrade_to_head)
            self._schema_ready = True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends normally, rolled back on any exception."""
        await self.ensure_schema()
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """True when the database answers a trivial query (for /healthz)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


_MIGRATION_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _migration_lock() -> asyncio.Lock:
    """Alembic keeps its running context in module globals, so two databases of one process (the demo's
    two arms, tests) must not migrate at the same moment."""
    loop = asyncio.get_running_loop()
    if loop not in _MIGRATION_LOCKS:
        _MIGRATION_LOCKS[loop] = asyncio.Lock()
    return _MIGRATION_LOCKS[loop]


def _upgrade_to_head(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _create_engine(url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 60})
        _serialise_sqlite_writers(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    """Make every SQLite transaction take the write lock up front (BEGIN IMMEDIATE).

    SQLite has no row locks; a deferred transaction that reads and then writes can fail with "database is
    locked" when another process wrote in between. Taking the lock at BEGIN turns that into a wait
    (busy_timeout), so the dispatcher's claim-then-commit is correct with several processes on one file.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
