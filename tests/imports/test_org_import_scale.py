"""The org chart import at the scale of a company: set-based writes that touch only what changed, a deep
management chain, and all-or-nothing with the line of a problem far down a large file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.imports.org_chart import OrgChartError, import_org_chart
from store.db import Database
from store.models import ChatIdentity, LearnerSettings, Person
from tests.records.test_reports import statements

HEADER = "email,name,manager_email,role,timezone,slack_user_id\n"


def tree(size: int) -> list[str]:
    """A balanced org, eight to a manager, everyone with a Slack id."""
    return [f"p{i}@x.com,Person {i},{f'p{(i - 1) // 8}@x.com' if i else ''},"
            f"{'people-manager' if i * 8 + 1 < size else 'buyer'},Europe/Berlin,U{i:06d}" for i in range(size)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


async def managers(database: Database) -> dict[str, str | None]:
    async with database.session() as session:
        people = {p.id: p for p in (await session.exec(select(Person))).all()}
    return {p.email: people[p.manager_id].email if p.manager_id else None for p in people.values()}


async def test_reimporting_an_unchanged_file_writes_nothing_and_changes_write_only_what_changed(
        db: Database, tmp_path: Path) -> None:
    lines = tree(300)
    path = write(tmp_path / "org.csv", lines)
    first = await import_org_chart(db, path)
    assert (first.created, first.updated, first.unchanged) == (300, 0, 0)
    with statements(db) as sent:
        again = await import_org_chart(db, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 300)
    assert sent and not [s for s in sent if s.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")], \
        "an unchanged file is read, never written"

    lines[299] = lines[299].replace("p37@x.com", "p1@x.com")  # a new manager
    lines[150] = lines[150].replace("U000150", "U999150")  # a new Slack id
    changed = await import_org_chart(db, write(path, lines))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 299)
    assert (await managers(db))["p299@x.com"] == "p1@x.com"
    async with db.session() as session:
        slack = dict((await session.exec(select(Person.email, ChatIdentity.external_id)
                                          .join(ChatIdentity, ChatIdentity.person_id == Person.id))).all())
        enrolled = (await session.exec(select(func.count()).select_from(LearnerSettings))).one()
    assert slack["p150@x.com"] == "U999150" and slack["p149@x.com"] == "U000149" and len(slack) == 300
    assert enrolled == 300


async def test_a_deep_chain_loads_and_a_cycle_through_it_is_refused_at_its_line(db: Database,
                                                                                 tmp_path: Path) -> None:
    depth = 1500
    chain = [f"c{i}@x.com,Chain {i},{f'c{i - 1}@x.com' if i else ''},people-manager,,U{i:06d}" for i in range(depth)]
    result = await import_org_chart(db, write(tmp_path / "chain.csv", chain))
    assert result.created == depth
    loaded = await managers(db)
    assert loaded["c1499@x.com"] == "c1498@x.com" and loaded["c0@x.com"] is None

    looped = write(tmp_path / "loop.csv", ["c0@x.com,Chain 0,c1499@x.com,people-manager,,U000000"])
    with pytest.raises(OrgChartError) as caught:
        await import_org_chart(db, looped)
    [problem] = caught.value.problems
    assert problem.line == 2 and problem.file == looped
    assert problem.message.startswith("manager cycle: c0@x.com -> c1499@x.com -> c1498@x.com")
    assert problem.message.endswith("c1@x.com -> c0@x.com")
    assert (await managers(db))["c0@x.com"] is None, "a refused file changes nothing"


async def test_one_bad_line_far_down_a_large_file_loads_nothing(db: Database, tmp_path: Path) -> None:
    lines = tree(2000)
    lines[1799] = lines[1799].replace(",buyer,", ",astronaut,")
    path = write(tmp_path / "big.csv", lines)
    with pytest.raises(OrgChartError) as caught:
        await import_org_chart(db, path)
    assert [(p.line, "unknown role 'astronaut'" in p.message) for p in caught.value.problems] == [(1801, True)]
    assert str(caught.value.problems[0]).startswith(f"{path}:1801")
    async with db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Person))).one() == 0
