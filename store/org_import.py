"""The org chart's bulk writes: what the database holds, read once, and a validated file written in a few
statements of plain driver rows.

Why plain driver rows: at 100,000 people, SQLAlchemy's per-parameter type processing cost more than the
database's own work. Constant values (the clock, the default schedule) are converted once with the columns'
own bind processors, so the rows stored are the ones the ORM would store; the per-row values are plain strings
and integers that need no conversion. New people get their ids before they are written (SQLite holds its write
lock from BEGIN IMMEDIATE; PostgreSQL hands out sequence values), so each is inserted once with its manager,
managers first, instead of inserted and then updated. On PostgreSQL the inserts go by COPY."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from store.catalogue_versions import CATALOGUE
from store.catalogue_versions import current as catalogue_versions
from store.models import LearnerSettings, Person
from store.types import utcnow

PLATFORMS = (("slack", "slack_user_id"), ("teams", "teams_user_id"))
CHUNK = 5000
"""Rows per executemany or COPY batch: few round trips, and no list of every row's parameters at once."""


class OrgRow(NamedTuple):
    """One validated line of the org chart CSV (a tuple: 100,000 of them stay small)."""

    line: int
    email: str
    name: str
    manager_email: str | None
    role: str | None
    timezone: str | None
    slack_user_id: str | None
    teams_user_id: str | None


@dataclass(frozen=True)
class OrgUpsert:
    created: int
    updated: int
    unchanged: int
    deactivated: int = 0


class Stored(NamedTuple):
    """A person as stored, in the columns an import compares."""

    id: int
    name: str
    role: str | None
    timezone: str | None
    manager_id: int | None
    active: bool


@dataclass
class OrgSnapshot:
    """Everyone the database knows, and their chat ids: read once per import, for checking and for writing."""

    people: dict[str, Stored]
    identities: dict[str, dict[int, tuple[int, str]]]
    """platform -> person id -> (row id, external id)."""

    def manager_links(self) -> dict[str, str | None]:
        """Every known person's email -> their manager's email (for cycle checks across file and database)."""
        emails = {person.id: email for email, person in self.people.items()}
        return {email: emails.get(person.manager_id) if person.manager_id else None
                for email, person in self.people.items()}

    def holders(self, platform: str) -> dict[str, str]:
        """external id -> email of the person who holds it on that platform."""
        emails = {person.id: email for email, person in self.people.items()}
        return {external: emails[pid] for pid, (_row, external) in self.identities[platform].items()}


async def unchanged_since(session: AsyncSession, digest: str) -> int | None:
    """How many people the last import listed, when it was this same file (`digest`) and nothing it compared has
    been written since, by anyone (the triggers of migration 0009), nor the roles it was checked against; else
    None. Such a file was valid on exactly this state and would write nothing, so it needs no second reading."""
    connection = await session.connection()
    [(changes, last, last_changes, catalogue, listed)] = await _rows(
        connection, "SELECT changes, digest, digest_changes, catalogue, listed FROM orgstate WHERE id = 1")
    if last != digest or last_changes != changes:
        return None
    return listed if catalogue == (await catalogue_versions(session))[CATALOGUE] else None


async def remember(session: AsyncSession, digest: str, listed: int) -> None:
    """Note the file just imported and the state it left, in the import's own transaction."""
    connection = await session.connection()
    await connection.exec_driver_sql(_placeholders(
        connection, "UPDATE orgstate SET digest = ?, digest_changes = changes, catalogue = ?, listed = ? WHERE id = 1"),
        (digest, (await catalogue_versions(session))[CATALOGUE], listed))


async def read_snapshot(session: AsyncSession) -> OrgSnapshot:
    connection = await session.connection()
    people = {email: Stored(pid, name, role, zone, manager, bool(active)) for pid, email, name, role, zone, manager,
              active in await _rows(connection, "SELECT id, email, name, role_id, timezone, manager_id, active "
                                                "FROM person")}
    identities = {}
    for platform, _column in PLATFORMS:
        identities[platform] = {pid: (row, external) for row, pid, external in await _rows(
            connection, "SELECT id, person_id, external_id FROM chatidentity WHERE platform = ?", (platform,))}
    return OrgSnapshot(people, identities)


async def upsert_org(session: AsyncSession, rows: Sequence[OrgRow], snapshot: OrgSnapshot, *,
                     deactivate_missing: bool = False) -> OrgUpsert:
    """Create or update everyone in the file (already validated against `snapshot`, read in this same
    transaction), wire managers and chat ids, and enrol whoever has no schedule yet. With `deactivate_missing`
    the file is the whole organisation: anyone not in it has left; everyone in it is active again.

    Only what differs is written: re-importing an unchanged file sends no INSERT, UPDATE or DELETE."""
    connection = await session.connection()
    now = utcnow()
    person = Person.__table__  # type: ignore[attr-defined]
    dialect = connection.dialect
    stamp = _bound(dialect, person, "updated_at", now)
    yes = _bound(dialect, person, "active", True)
    known = snapshot.people
    fresh = [row for row in rows if row.email not in known]
    ids = {email: stored.id for email, stored in known.items()}
    ids.update(zip((row.email for row in fresh), await _new_ids(connection, len(fresh)), strict=True))
    await _insert(connection, "person", ("id", "email", "name", "role_id", "timezone", "manager_id", "active",
                                         "created_at", "updated_at"),
                  ((ids[r.email], r.email, r.name, r.role, r.timezone, ids[r.manager_email] if r.manager_email else
                    None, yes, stamp, stamp) for r in _managers_first(fresh, known)))
    changed = [(r.name, r.role, r.timezone, manager, yes, stamp, old.id) for r, old, manager in
               ((r, known[r.email], ids[r.manager_email] if r.manager_email else None) for r in rows
                if r.email in known)
               if (old.name, old.role, old.timezone, old.manager_id, old.active) !=
               (r.name, r.role, r.timezone, manager, True)]
    await _executemany(connection, "UPDATE person SET name = ?, role_id = ?, timezone = ?, manager_id = ?, "
                                   "active = ?, updated_at = ? WHERE id = ?", changed)
    await _enrol(connection, [ids[r.email] for r in rows])
    for platform, column in PLATFORMS:
        await _link_identities(connection, platform, snapshot.identities[platform],
                               ((ids[r.email], getattr(r, column)) for r in rows if getattr(r, column)), stamp)
    deactivated = 0
    if deactivate_missing:
        listed = {r.email for r in rows}
        leaving = [(_bound(dialect, person, "active", False), stamp, stored.id) for email, stored in known.items()
                   if stored.active and email not in listed]
        await _executemany(connection, "UPDATE person SET active = ?, updated_at = ? WHERE id = ?", leaving)
        deactivated = len(leaving)
    return OrgUpsert(created=len(fresh), updated=len(changed), unchanged=len(rows) - len(fresh) - len(changed),
                     deactivated=deactivated)


def _managers_first(fresh: list[OrgRow], known: dict[str, Stored]) -> Iterator[OrgRow]:
    """The new people, each after their manager (foreign keys are checked row by row): a breadth-first walk
    down from those whose manager is nobody or already stored. The file was checked for cycles, so the walk
    reaches everyone."""
    below: dict[str | None, list[OrgRow]] = {}
    for row in fresh:
        top = row.manager_email is None or row.manager_email in known
        below.setdefault(None if top else row.manager_email, []).append(row)
    level = below.pop(None, [])
    while level:
        yield from level
        level = [child for row in level for child in below.pop(row.email, ())]


async def _enrol(connection: AsyncConnection, person_ids: list[int]) -> None:
    """Enrol with the default schedule whoever has no settings yet; a learner's own changes are never
    overwritten by a re-import."""
    table = LearnerSettings.__table__  # type: ignore[attr-defined]
    enrolled = {pid for (pid,) in await _rows(connection, "SELECT person_id FROM learnersettings")}
    defaults = LearnerSettings(person_id=0).model_dump()
    columns = [name for name in defaults if name != "person_id"]
    constant = tuple(_bound(connection.dialect, table, name, defaults[name]) for name in columns)
    await _insert(connection, "learnersettings", ("person_id", *columns),
                  ((pid, *constant) for pid in dict.fromkeys(person_ids) if pid not in enrolled))


async def _link_identities(connection: AsyncConnection, platform: str, held: dict[int, tuple[int, str]],
                           wanted: Iterable[tuple[int, str]], stamp: Any) -> None:
    """Each person's id on the platform as the file gives it: new identities inserted, re-pointed ones updated
    (the file was checked: no id belongs to someone else), the same ones left alone."""
    fresh, moved = [], []
    for pid, external in wanted:
        old = held.get(pid)
        if old is None:
            fresh.append((pid, platform, external, stamp))
        elif old[1] != external:
            moved.append((external, stamp, old[0]))
    await _executemany(connection, "UPDATE chatidentity SET external_id = ?, updated_at = ? WHERE id = ?", moved)
    await _insert(connection, "chatidentity", ("person_id", "platform", "external_id", "updated_at"), fresh)


def _bound(dialect: Dialect, table: Table, column: str, value: Any) -> Any:
    """`value` as the column's type would send it to this database (converted once, used for every row)."""
    processor = table.c[column].type.bind_processor(dialect)
    return processor(value) if processor and value is not None else value


async def _new_ids(connection: AsyncConnection, count: int) -> list[int]:
    """`count` unused person ids. SQLite: above the highest, safe since this transaction holds the write lock;
    PostgreSQL: from the table's sequence, safe beside any other writer."""
    if not count:
        return []
    if connection.dialect.name == "postgresql":
        return [pid for (pid,) in await _rows(
            connection, "SELECT nextval(pg_get_serial_sequence('person', 'id')) FROM generate_series(1, ?)",
            (count,))]
    [(top,)] = await _rows(connection, "SELECT coalesce(max(id), 0) FROM person")
    return list(range(top + 1, top + 1 + count))


async def _rows(connection: AsyncConnection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A read as the driver's plain tuples (no result processing)."""
    result = await connection.exec_driver_sql(_placeholders(connection, sql), params)
    return [tuple(row) for row in result.all()]


async def _executemany(connection: AsyncConnection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """One driver executemany per CHUNK rows (nothing at all for no rows)."""
    statement = _placeholders(connection, sql)
    for start in range(0, len(params), CHUNK):
        await connection.exec_driver_sql(statement, params[start:start + CHUNK])


async def _insert(connection: AsyncConnection, table: str, columns: Sequence[str],
                  rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert driver-ready rows: COPY on PostgreSQL, executemany on SQLite; a batch at a time either way."""
    batches = iter(lambda it=iter(rows): list(islice(it, CHUNK)), [])
    if connection.dialect.name == "postgresql":
        raw = (await connection.get_raw_connection()).driver_connection
        async with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    await copy.write_row(row)
        return
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for batch in batches:
        await connection.exec_driver_sql(statement, batch)


def _placeholders(connection: AsyncConnection, sql: str) -> str:
    """The store writes `?`; psycopg wants `%s`."""
    return sql.replace("?", "%s") if connection.dialect.name == "postgresql" else sql
