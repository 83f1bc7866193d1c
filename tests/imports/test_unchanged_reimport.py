"""Re-importing the org chart: the same file with nothing written since is answered from one small read and
writes nothing; any write since (by the coach, a learner, a content import, or the file itself) makes the import
compare everything again, so what the file says is applied as before."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import col, select

from bot.imports.org_chart import import_org_chart
from store import catalogue_versions
from store.db import Database
from store.models import ChatIdentity, LearnerSettings, Person
from store.people import link_identity
from tests.imports.test_org_import_scale import tree, write
from tests.records.test_reports import statements

WRITES = ("INSERT", "UPDATE", "DELETE", "COPY")


def verbs(sent: list[str]) -> list[str]:
    return [statement.lstrip().split(" ", 1)[0].upper() for statement in sent]


async def test_the_same_file_again_is_one_small_read_that_writes_nothing(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "org.csv", tree(400))
    assert (await import_org_chart(db, path)).created == 400
    with statements(db) as sent:
        again = await import_org_chart(db, path)
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 400, 0)
    assert not [v for v in verbs(sent) if v in WRITES], "an unchanged file is read, never written"
    assert not [s for s in sent if "FROM person" in s], "nor is every person read again"
    assert len(sent) <= 4, sent


async def test_a_write_by_anyone_since_the_last_import_is_compared_and_put_back(db: Database,
                                                                               tmp_path: Path) -> None:
    path = write(tmp_path / "org.csv", tree(50))
    await import_org_chart(db, path)
    async with db.session() as session:  # as the coach does: a time zone from the Slack profile, a new Slack id
        await session.exec(update(Person).where(col(Person.email) == "p7@x.com").values(timezone="Asia/Tokyo"))
        p9 = (await session.exec(select(Person.id).where(Person.email == "p9@x.com"))).one()
        await link_identity(session, p9, "slack", "UNEW9")
        p11 = (await session.exec(select(Person.id).where(Person.email == "p11@x.com"))).one()
        await session.exec(delete(LearnerSettings).where(col(LearnerSettings.person_id) == p11))
    again = await import_org_chart(db, path)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 49)
    async with db.session() as session:
        zone = (await session.exec(select(Person.timezone).where(Person.email == "p7@x.com"))).one()
        slack = (await session.exec(select(ChatIdentity.external_id).where(ChatIdentity.person_id == p9))).one()
        enrolled = await session.get(LearnerSettings, p11)
    assert (zone, slack, enrolled is not None) == ("Europe/Berlin", "U000009", True)


async def test_a_learner_s_own_schedule_does_not_cost_the_next_import_its_shortcut(db: Database,
                                                                                 tmp_path: Path) -> None:
    path = write(tmp_path / "org.csv", tree(30))
    await import_org_chart(db, path)
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(window_start="08:00", paused=True))
    with statements(db) as sent:
        again = await import_org_chart(db, path)
    assert again.unchanged == 30 and not [s for s in sent if "FROM person" in s]


async def test_a_new_catalogue_makes_the_same_file_be_checked_again(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "org.csv", tree(30))
    await import_org_chart(db, path)
    async with db.session() as session:
        await catalogue_versions.bump(session, catalogue_versions.CATALOGUE)
    with statements(db) as sent:
        again = await import_org_chart(db, path)
    assert again.unchanged == 30 and [s for s in sent if "FROM person" in s], "roles may have gone: check again"


async def test_one_changed_row_in_a_large_file_is_applied_and_only_it(db: Database, tmp_path: Path) -> None:
    lines = tree(5000)
    path = write(tmp_path / "org.csv", lines)
    await import_org_chart(db, path)
    lines[4321] = lines[4321].replace("Person 4321", "Person Renamed")
    with statements(db) as sent:
        changed = await import_org_chart(db, write(path, lines))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 4999)
    assert not [s for s in sent if "teamtotal" in s], "the kept team totals are the scheduler's (tests/team)"
    assert verbs(sent).count("UPDATE") == 2, "one UPDATE of people, one of the import's own state"
    assert (await import_org_chart(db, path)).unchanged == 5000
    async with db.session() as session:
        assert (await session.exec(select(Person.name).where(Person.email == "p4321@x.com"))).one() == \
            "Person Renamed"


async def test_the_same_file_as_the_whole_organisation_still_marks_the_leavers(db: Database,
                                                                              tmp_path: Path) -> None:
    everyone = tree(20)
    await import_org_chart(db, write(tmp_path / "all.csv", everyone))
    fewer = write(tmp_path / "fewer.csv", everyone[:15])
    assert (await import_org_chart(db, fewer)).unchanged == 15
    left = await import_org_chart(db, fewer, deactivate_missing=True)
    assert (left.unchanged, left.deactivated) == (15, 5)
    again = await import_org_chart(db, fewer, deactivate_missing=True)
    assert (again.unchanged, again.deactivated) == (15, 0)
    async with db.session() as session:
        active = (await session.exec(select(Person.email).where(col(Person.active).is_(True)))).all()
    assert len(active) == 15
