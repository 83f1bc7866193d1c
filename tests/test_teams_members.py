"""Who someone is when Teams can't say: a throttled or failing member lookup is never "you are not in the org
chart", and the install it spoiled is completed in the background once Teams answers — on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlmodel import select

from store.models import ChatIdentity
from tests.support.fake_connector import TeamsBot, connector, quick_teams, teams
from tests.support.teams_calls import Call

__all__ = ["connector", "quick_teams", "teams"]  # fixtures

GUS = {"id": "29:gus", "name": "Gus", "email": "gus@example.com"}  # in the org chart by email only


async def _identity(teams: TeamsBot, email: str) -> ChatIdentity | None:
    async with teams.db.session() as session:
        return (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == teams.ids[email],
                                                              ChatIdentity.platform == "teams"))).first()


async def _eventually(check: Callable[[], bool]) -> None:
    for _ in range(250):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("it never happened")


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

    await _eventually(lambda: any("Hi Gus," in c.text for c in teams.connector.sent(gus.conversation, after=mark)))
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
    await asyncio.sleep(0.2)  # ten times the retry's first wait: a real answer is not asked again
    assert [c.status for c in _lookups(teams, mark)] == [404]


async def test_people_the_org_chart_lists_by_teams_id_need_no_lookup(teams: TeamsBot) -> None:
    teams.connector.fail(429, times=50, retry_after="0", method="GET", route="members")
    mark = len(teams.connector.calls)
    [reply] = await teams.user("29:ben", "Ben Buyer").say("help")
    assert "Here's what I can do" in reply.text and _lookups(teams, mark) == []


async def test_an_upgrade_refreshes_the_reference_and_greets_nobody(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [welcome] = await ben.install()
    assert "Hi Ben," in welcome.text
    moved = {"id": "a:personal-ben-upgraded", "conversationType": "personal", "tenantId": "tenant-0001"}
    mark = len(teams.connector.calls)
    assert await ben.post(ben.activity("installationUpdate", action="add-upgrade", conversation=moved)) == 200
    assert teams.connector.sent(moved["id"], after=mark) == []
    assert teams.connector.sent(ben.conversation, after=mark) == []
    identity = await _identity(teams, "ben@example.com")
    assert identity is not None and identity.address["conversation"]["id"] == moved["id"]
