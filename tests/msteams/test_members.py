"""Who someone is when Teams can't say: a throttled or failing member lookup is never "you are not in the org
chart", and the install it spoiled is completed in the background once Teams answers — on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from bot.config import Settings
from handlers.msteams import runtime
from handlers.msteams.members import Contacts, Retry
from handlers.msteams.posting import Backoff
from store.contacts import claim_contact, contact_tried, keep_contact
from store.db import Database
from store.models import ChatIdentity, PendingContact
from tests.msteams.test_http import _token, secured, signing_key
from tests.support.fake_connector import FakeConnector, TeamsBot, connector, quick_teams, teams, teams_bot
from tests.support.teams_calls import Call
from tests.support.waiting import eventually

__all__ = ["connector", "quick_teams", "secured", "signing_key", "teams"]  # fixtures

GUS = {"id": "29:gus", "name": "Gus", "email": "gus@example.com"}  # in the org chart by email only


async def _identity(teams: TeamsBot, email: str) -> ChatIdentity | None:
    async with teams.db.session() as session:
        return (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == teams.ids[email],
                                                              ChatIdentity.platform == "teams"))).first()


def _lookups(teams: TeamsBot, after: int) -> list[Call]:
    return [c for c in teams.connector.calls[after:] if c.method == "GET" and "/members/" in c.path]


@pytest.mark.parametrize(("status", "html"), [(429, False), (502, True)])  # throttled; a gateway's error page
async def test_a_failed_lookup_asks_to_try_again_and_the_install_completes_once_teams_answers(
        quick_teams: TeamsBot, status: int, html: bool) -> None:
    teams = quick_teams
    teams.connector.members["29:gus"] = GUS
    gus = teams.user("29:gus", "Gus Agent")
    teams.connector.fail(status, times=1000, method="GET", route="members", html=html)
    mark = len(teams.connector.calls)
    [reply] = await gus.install()
    assert "try again in a minute" in reply.text and "couldn't find you" not in reply.text
    assert await _identity(teams, "gus@example.com") is None

    teams.connector.clear_failures()  # Teams answers again

    await eventually(lambda: any("Hi Gus," in c.text for c in teams.connector.sent(gus.conversation, after=mark)))
    # the background retry found him: the welcome the install owed him
    identity = await _identity(teams, "gus@example.com")
    assert identity is not None and identity.external_id == "29:gus"
    assert identity.address["serviceUrl"] == teams.connector.url
    assert identity.address["conversation"]["id"] == gus.conversation  # proactive lessons can reach him

    mark = len(teams.connector.calls)
    [again] = await gus.say("help")  # known by his Teams id now: no lookup, however Teams is doing
    assert "Here's what I can do" in again.text and _lookups(teams, mark) == []


async def test_only_teams_saying_no_such_member_makes_someone_unknown(quick_teams: TeamsBot) -> None:
    teams = quick_teams
    stranger = teams.user("29:stranger", "Sam Stranger")
    mark = len(teams.connector.calls)
    [reply] = await stranger.say("learn")
    assert "couldn't find you in the org chart" in reply.text
    assert await _kept(teams.db) == []  # no retry is owed: a real answer is not asked again, however late
    await asyncio.sleep(0.2)  # and none is under way (ten times the retry's first wait)
    assert [c.status for c in _lookups(teams, mark)] == [404]


async def test_people_the_org_chart_lists_by_teams_id_need_no_lookup(teams: TeamsBot) -> None:
    teams.connector.fail(429, times=50, retry_after="0", method="GET", route="members")
    mark = len(teams.connector.calls)
    [reply] = await teams.user("29:ben", "Ben Buyer").say("help")
    assert "Here's what I can do" in reply.text and _lookups(teams, mark) == []


MOVED = {"id": "a:personal-ben-upgraded", "conversationType": "personal", "tenantId": "tenant-0001"}


async def test_an_unauthenticated_upgrade_greets_nobody_and_moves_no_reference(teams: TeamsBot) -> None:
    """Dev mode (no app id): nothing is authenticated, so a stored reference is never replaced (issue 14)."""
    ben = teams.user("29:ben", "Ben Buyer")
    [welcome] = await ben.install()
    assert "Hi Ben," in welcome.text
    mark = len(teams.connector.calls)
    assert await ben.post(ben.activity("installationUpdate", action="add-upgrade", conversation=MOVED)) == 200
    assert teams.connector.sent(MOVED["id"], after=mark) == []
    assert teams.connector.sent(ben.conversation, after=mark) == []
    identity = await _identity(teams, "ben@example.com")
    assert identity is not None and identity.address["conversation"]["id"] == ben.conversation


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_authenticated_upgrade_refreshes_the_reference_and_greets_nobody(
        secured: TeamsBot, signing_key: rsa.RSAPrivateKey) -> None:
    ben = secured.user("29:ben", "Ben Buyer")
    ben.token = _token(signing_key, secured.connector.url)
    for conversation in ({"id": ben.conversation, "conversationType": "personal", "tenantId": "tenant-0001"}, MOVED):
        mark = len(secured.connector.calls)
        assert await ben.post(ben.activity("installationUpdate", action="add-upgrade",
                                           conversation=conversation)) == 200
        assert secured.connector.calls[mark:] == []
        identity = await _identity(secured, "ben@example.com")
        assert identity is not None and identity.address["conversation"]["id"] == conversation["id"]
        assert "coachUnverified" not in identity.address


async def _kept(db: Database) -> list[tuple[str, bool]]:
    async with db.session() as session:
        return [(c.external_id, c.welcome) for c in (await session.exec(select(PendingContact))).all()]


async def test_a_restart_carries_on_with_the_people_teams_could_not_name(
        db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The install Teams could not name anyone for outlives the process that took it: the next process
    (here, after a restart) finds Gus and gives him the welcome he is owed, without him writing again.
    The first process may be stopped in the middle of a try (likely on a loaded machine), leaving its claim
    leased: a lease of a second, not the default five minutes, lets the second process take it over in time."""
    monkeypatch.setattr(runtime, "BACKOFF", Backoff(first=0.001))
    monkeypatch.setattr(runtime, "RETRY", Retry(first=0.02, longest=0.05, attempts=50, lease=1.0))
    connector.members["29:gus"] = GUS
    async with teams_bot(db, settings, clock, connector, tmp_path) as first:
        first.connector.fail(502, times=10_000, method="GET", route="members", html=True)
        gus = first.user("29:gus", "Gus Agent")
        [reply] = await gus.install()
        assert "try again in a minute" in reply.text
    assert await _kept(db) == [("29:gus", True)]  # the process is gone; what it owed Gus is not

    mark = len(connector.calls)
    async with teams_bot(db, settings, clock, connector, tmp_path) as second:  # Teams answers again
        await eventually(lambda: any("Hi Gus," in c.text for c in connector.sent(gus.conversation, after=mark)))
        assert await _identity(second, "gus@example.com") is not None
        await eventually(lambda: _none_kept(db), what="the kept contact's removal")
    assert sum("Hi Gus," in c.text for c in connector.sent(gus.conversation, after=mark)) == 1


async def _none_kept(db: Database) -> bool:
    return await _kept(db) == []


async def _claimed(db: Database) -> bool:
    async with db.session() as session:
        return any(c.lease_until is not None for c in (await session.exec(select(PendingContact))).all())


async def test_a_shutdown_lets_the_retry_under_way_write_its_outcome(
        db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping the process while it retries who someone is waits for that try to finish rather than cancel it:
    cancelled inside a database transaction, it could leave SQLite's write lock held, and the next write failed
    with "database is locked" (about 1 run in 10 of the restart test above)."""
    monkeypatch.setattr(runtime, "BACKOFF", Backoff(first=0.001))
    monkeypatch.setattr(runtime, "RETRY", Retry(first=0.02, longest=0.05, attempts=50))
    connector.members["29:gus"] = GUS
    async with teams_bot(db, settings, clock, connector, tmp_path) as bot:
        connector.fail(502, times=10_000, method="GET", route="members", html=True)
        gus = bot.user("29:gus", "Gus Agent")
        [reply] = await gus.install()
        assert "try again in a minute" in reply.text
        mark = len(connector.calls)
        connector.hold()  # the retry under way waits for Teams' answer
        connector.clear_failures()
        try:
            await eventually(lambda: _claimed(db), what="a retry under way")
            [close] = [c for c in bot.platforms.cleanups if isinstance(getattr(c, "__self__", None), Contacts)]
            closing = asyncio.create_task(close())
            await asyncio.sleep(0.5)
            assert not closing.done()  # the shutdown waits for the try: nothing is cut off mid-transaction
        finally:
            connector.release()
        await closing
        assert await _kept(db) == []  # its outcome was written: Gus is found, and his welcome sent
        assert sum("Hi Gus," in c.text for c in connector.sent(gus.conversation, after=mark)) == 1


async def test_a_contact_is_tried_by_one_process_at_a_time_and_a_newer_one_wins(db: Database) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    lease = timedelta(minutes=5)
    async with db.session() as session:
        await keep_contact(session, "teams", "29:gus", {"n": 1}, welcome=True, due_at=now)
    async with db.session() as session:
        claimed = await claim_contact(session, "teams", now, lease)
    async with db.session() as session:
        assert claimed is not None and await claim_contact(session, "teams", now, lease) is None  # leased
    async with db.session() as session:  # Gus installs again while the first try is under way
        await keep_contact(session, "teams", "29:gus", {"n": 2}, welcome=False, due_at=now)
    async with db.session() as session:
        await contact_tried(session, claimed, again_at=None)  # the older try's outcome does not drop him
    assert await _kept(db) == [("29:gus", True)]  # and the welcome is still owed
    async with db.session() as session:
        newer = await claim_contact(session, "teams", now, lease)
        assert newer is not None and newer.address == {"n": 2}
    async with db.session() as session:
        assert await claim_contact(session, "teams", now + lease + timedelta(seconds=1), lease) is not None
