"""The async engine and sessions, on SQLite (aiosqlite) or PostgreSQL (psycopg 3), and schema creation."""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

import store.models  # noqa: F401  (registers every table on the metadata)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_LOCK_KEY = 7_311_946_011  # pg advisory lock id: one process migrates at a time


def async_url(url: str) -> str:
    """Turn the URL people write (`sqlite:///x.db`, `postgresql://…`) into the async driver's URL."""
    try:
        parsed = make_url(url)
    except ValueError:  # a URL SQLAlchemy splits but cannot read (a bad port, an unclosed IPv6 bracket)
        raise ArgumentError("not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database {backend!r} (SQLite and PostgreSQL only)")


def masked_url(url: str) -> str:
    """The URL as people may see it in messages and logs: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"^(.*?//)?([^/:@]*):.*@", r"\1\2:***@", url)


class DatabaseUnavailable(Exception):
    """The database cannot be opened: a URL that is no database URL, an unsupported kind, a folder or a
    PostgreSQL database that does not exist, a server that does not answer. One sentence, password masked."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot open the database {masked_url(url)}: {reason}")


@dataclass(frozen=True)
class SchemaUpgrade:
    """What bringing the schema to the newest migration did: `before` is None for a brand-new database."""

    before: str | None
    after: str | None


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration pointing at the bundled migrations (no alembic.ini needed), and at the
    database when `url` is given (store/migrations/env.py reads it from here)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolates %
    return cfg


class Database:
    """One per process: owns the connection pool, hands out sessions, and creates the schema on first use."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        """Raises DatabaseUnavailable when the URL cannot name a database (nothing is connected yet)."""
        self.url = url
        try:
            self.engine: AsyncEngine = _create_engine(async_url(url), echo=echo, pool_size=pool_size)
        except ArgumentError:
            raise DatabaseUnavailable(url, "not a database URL") from None
        except ValueError as exc:
            raise DatabaseUnavailable(url, str(exc)) from None
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._schema: SchemaUpgrade | None = None
        self._schema_lock = asyncio.Lock()
        self._ping: asyncio.Future[None] | None = None

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`: the few queries that differ ask this."""
        return self.engine.dialect.name

    async def ensure_schema(self) -> SchemaUpgrade:
        """Run the Alembic migrations up to head, once per process; safe when processes start together.
        Returns what the first call found and left (`coach db upgrade` says which)."""
        async with self._schema_lock, _migration_lock():
            if self._schema is None:
                self._schema = await self._already_at_head()
            if self._schema is None:
                async with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
                    self._schema = await conn.run_sync(_upgrade_to_head, self.url)
            return self._schema

    async def _already_at_head(self) -> SchemaUpgrade | None:
        """The schema as it is when it is already at the newest migration, else None. One read, without loading
        Alembic and its scripts: every command (and each process of a cron job) starts with this check."""
        head = newest_migration()
        try:
            async with self.engine.connect() as conn:
                found = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        except SQLAlchemyError:
            return None
        return SchemaUpgrade(head, head) if found == [head] else None

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

    async def check(self) -> None:
        """Connect and ask a trivial query, so a wrong URL is one clear DatabaseUnavailable before any work
        starts rather than a traceback from somewhere inside it. SQLite is opened by the plain driver first:
        aiosqlite, failing to open a file, leaves its worker thread to report on an event loop that the
        command has closed by then (a second traceback after the message)."""
        try:
            if self.dialect == "sqlite":
                await asyncio.to_thread(_open_sqlite, self.url)
            await self._select_one()
        except (OSError, SQLAlchemyError) as exc:
            raise DatabaseUnavailable(self.url, _reason(exc)) from None

    async def ping(self, within: float) -> str | None:
        """None when the database answers a trivial query within `within` seconds, else why not (for /healthz:
        a load balancer must hear back in time even while another process holds SQLite's write lock).

        A query that runs late is not cancelled — a driver cancelled mid-query can hang in its own cleanup — but
        left to finish in the background, and the next checks wait for that same query instead of piling up
        more connections behind the lock."""
        if self._ping is None or self._ping.done():
            self._ping = asyncio.ensure_future(self._select_one())
            self._ping.add_done_callback(_retrieved)
        try:
            await asyncio.wait_for(asyncio.shield(self._ping), within)
        except TimeoutError:
            return f"the database did not answer within {within:g} s"
        except Exception:
            return "the database does not answer"
        return None

    async def _select_one(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


_MIGRATION_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _retrieved(task: asyncio.Future[None]) -> None:
    """Collect a background check's outcome, so a late failure is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()


def _migration_lock() -> asyncio.Lock:
    """Alembic keeps its running context in module globals, so two databases of one process (the demo's
    two arms, tests) must not migrate at the same moment."""
    loop = asyncio.get_running_loop()
    if loop not in _MIGRATION_LOCKS:
        _MIGRATION_LOCKS[loop] = asyncio.Lock()
    return _MIGRATION_LOCKS[loop]


def newest_migration() -> str:
    """The revision of the newest migration: revisions are numbered like their files (`0007_….py` is revision
    0007, each revising the one before), which tests/cli/test_cli_errors.py holds to Alembic's own head."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _upgrade_to_head(connection: Connection, url: str) -> SchemaUpgrade:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(connection).get_current_revision()
    cfg = alembic_config(url)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
    return SchemaUpgrade(before, MigrationContext.configure(connection).get_current_revision())


def _open_sqlite(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="sqlite"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _reason(error: BaseException) -> str:
    """The driver's own first line (`unable to open database file`, `database "x" does not exist`,
    `Connection refused`), without SQLAlchemy's wrapping and links."""
    original = getattr(error, "orig", None) or error
    lines = [" ".join(line.split()) for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


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
