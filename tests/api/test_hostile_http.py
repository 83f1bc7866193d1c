"""`coach serve` as an attacker and a stuck database see it, over real HTTP: a signed Slack button whose value
is nested too deeply, a forged Teams activity that tries to move a person's address to another host (dev mode
and production), and /healthz while another process holds SQLite's write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.just_in_time import trigger
from bot.dispatch.sender import Outcome
from handlers.server import HEALTH_WITHIN
from store.db import Database
from store.models import ChatIdentity
from tests.msteams.test_http import _token, secured, signing_key
from tests.slack.test_http import DEEP, _press_payload
from tests.support.dispatching import serving
from tests.support.fake_connector import FakeConnector, TeamsBot, TeamsUser, connector, teams
from tests.support.slack_session import SlackServer, slack
from tests.support.waiting import eventually

__all__ = ["connector", "secured", "signing_key", "slack", "teams"]  # fixtures

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@SQLITE
async def test_a_signed_button_with_a_deeply_nested_value_is_answered_without_a_500(slack: SlackServer) -> None:
    press = _press_payload(slack.fake.response_url("deep"))
    for value in ('{"d": ' + "[" * DEEP + "]" * DEEP + "}", "[" * DEEP, '{"r": ' + "{\"x\": " * DEEP):
        press["actions"][0]["value"] = value
        answered = await slack.post_payload(press)
        assert answered.status in (200, 400), answered
    await slack.settle()
    async with slack.http.get(slack.url + "/healthz") as health:
        assert health.status == 200


@SQLITE
async def test_healthz_answers_503_in_its_own_time_while_the_write_lock_is_held(db: Database, db_url: str) -> None:
    """The lock is held until both checks have answered, and a check that waited for it would wait out SQLite's
    60 s busy timeout: so a 503 saying the database "did not answer within 1.5 s" (HEALTH_WITHIN) is the check
    giving up on its own clock, whatever the machine's load. The second check joins the first one's query
    instead of opening another connection behind the lock."""
    checkouts: list[object] = []
    event.listen(db.engine.sync_engine, "checkout", lambda *_: checkouts.append(None))
    async with serving(db, []) as url, aiohttp.ClientSession() as http:
        holder = sqlite3.connect(make_url(db_url).database, isolation_level=None)  # another process, as it were
        holder.execute("BEGIN IMMEDIATE")
        try:
            answers = []
            for _ in range(2):
                async with http.get(url + "/healthz") as health:
                    answers.append((health.status, await health.json()))
            opened = len(checkouts)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for status, body in answers:
            assert status == 503 and body["reason"] == f"the database did not answer within {HEALTH_WITHIN:g} s"
        assert opened <= 1, "the second check queued another connection behind the lock"

        async def healthy() -> bool:  # the lock is free again: healthy as soon as the late check is through
            async with http.get(url + "/healthz") as health:
                return health.status == 200

        await eventually(healthy, what="a healthy check after the lock was released")


async def test_a_forged_activity_never_moves_a_stored_teams_address(teams: TeamsBot) -> None:
    """Dev mode (no app id): Ben's address is learned from his first message; a forged activity in his name
    from another host changes nothing, and his next lesson still goes to his own Teams."""
    ben = teams.user("29:ben")
    await ben.say("hi")
    attacker = FakeConnector().start()
    try:
        forger = TeamsUser(teams.http, teams.url, attacker, "29:ben")
        assert await forger.post(forger.activity("message", text="progress")) == 200
        await teams.settle()  # the forged turn runs after the answer (handlers.msteams.later)
        async with teams.db.session() as session:
            [identity] = (await session.exec(select(ChatIdentity).where(ChatIdentity.platform == "teams",
                                                                        ChatIdentity.external_id == "29:ben"))).all()
        assert identity.address is not None and identity.address["serviceUrl"] == teams.connector.url
        done = await trigger(teams.coach.services, email="ben@example.com", lesson="infosec-spot-phishing")
        mark = len(teams.connector.calls)
        forged_calls = len(attacker.calls)
        outcome = await Dispatcher(teams.coach.services, teams.platforms.couriers).send_now(done.delivery_id)
    finally:
        attacker.stop()
    assert outcome is Outcome.SENT
    assert teams.connector.sent(ben.conversation, after=mark) and len(attacker.calls) == forged_calls


async def test_dev_mode_is_loud_on_healthz(teams: TeamsBot) -> None:
    async with teams.http.get(teams.url + "/healthz") as health:
        body = await health.json()
    assert health.status == 200 and "UNAUTHENTICATED" in body["teams"]


@SQLITE
async def test_with_an_app_id_only_allowed_service_hosts_are_accepted_and_dev_addresses_are_never_used(
        secured: TeamsBot, signing_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    async with secured.http.get(secured.url + "/healthz") as health:
        assert "teams" not in await health.json()
    elsewhere = "https://bots.attacker.example/"
    eve = TeamsUser(secured.http, secured.url, secured.connector, "29:eve", token=_token(signing_key, elsewhere))
    forged = eve.activity("message", text="hi", serviceUrl=elsewhere)
    assert await eve.post(forged) == 403  # a valid token for that serviceUrl, but not a Bot Framework host
    async with secured.db.session() as session:  # an address learned in dev mode, before the app id was set
        session.add(ChatIdentity(person_id=secured.ids["cara@example.com"], platform="teams", external_id="29:cara",
                                 address={"serviceUrl": secured.connector.url, "coachUnverified": True,
                                          "conversation": {"id": "a:personal-cara"}}))
    done = await trigger(secured.coach.services, email="cara@example.com", lesson="infosec-spot-phishing")
    mark = len(secured.connector.calls)
    dispatcher = Dispatcher(secured.coach.services, secured.platforms.couriers)
    assert await dispatcher.send_now(done.delivery_id) is Outcome.FAILED
    assert secured.connector.calls[mark:] == []
