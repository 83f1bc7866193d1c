"""The Slack endpoint as an attacker, a flaky network and Slack's retries see it: signatures, malformed
bodies, Events API retries (handled once, and taken over when the first attempt died), Socket Mode, and
`coach serve` itself."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import signal
import socket
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from pydantic import SecretStr

from bot.chat.coach import Coach
from bot.config import Settings
from handlers.platforms import Platforms
from handlers.slack.runtime import attach_slack
from store.db import Database
from store.models import ProcessedEvent
from store.types import utcnow
from tests.conftest import Clock
from tests.support.fake_slack import TEAM, FakeSlack
from tests.support.health import until_serving
from tests.support.org import load_sample_org
from tests.support.slack_session import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackServer,
    sign,
    slack,
    slack_config,
    workspace_users,
)
from tests.support.waiting import PATIENCE

__all__ = ["slack"]  # fixture

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DEEP = 10_000
"""Nesting deeper than Python's JSON parser goes (it raises RecursionError, not ValueError)."""


def _help_command(slack: SlackServer) -> str:
    return urlencode({"command": "/learn", "text": "help", "user_id": "UBEN", "team_id": TEAM, "channel_id": "C1",
                      "response_url": slack.fake.response_url("help"), "trigger_id": "t"})


@sqlite_only
async def test_forged_stale_and_missing_signatures_are_401(slack: SlackServer) -> None:
    form = "application/x-www-form-urlencoded"
    now = int(time.time())
    command = _help_command(slack)
    assert (await slack.post(command, form, signature=sign(command, now, "another-secret"))).status == 401
    assert (await slack.post(command, form, timestamp=now - 400)).status == 401  # signed, but 6+ minutes old
    assert (await slack.post(command, form, timestamp=now + 400)).status == 401
    tampered = command.replace("help", "progress")
    assert (await slack.post(tampered, form, signature=sign(command, now))).status == 401
    async with slack.http.post(slack.url + "/slack/events", data=command, headers={"Content-Type": form}) as bare:
        assert bare.status == 401
    headers = {"Content-Type": form, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    async with slack.http.post(slack.url + "/slack/events", data=command, headers=headers) as odd:
        assert odd.status == 401
    odd_bytes = b"command=%2Flearn&text=\xff"  # not UTF-8: still a signature question first
    assert (await slack.post(odd_bytes, form, signature=sign(odd_bytes, now, "another-secret"))).status == 401
    assert (await slack.post(odd_bytes, form, timestamp=now - 400)).status == 401
    headers = {"Content-Type": form, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=\u00e9t\u00e9"}
    async with slack.http.post(slack.url + "/slack/events", data=command, headers=headers) as accented:
        assert accented.status == 401
    await slack.settle()
    assert slack.fake.calls == []  # nothing forged got as far as the coach
    assert (await slack.post(command, form)).status == 200  # the same request, signed properly
    [helped] = await slack.fake.wait_for("response_url", name="help")
    assert "/learn progress" in helped.text_of_blocks


@sqlite_only
async def test_a_command_whose_form_holds_the_word_payload_is_still_a_command(slack: SlackServer) -> None:
    """Bolt reads any form body containing "payload" as an interactivity payload; the route must not."""
    ben = slack.person("UBEN")
    name = await ben.command("payload")  # answered 200, not Bolt's 404 for a payload nobody listens to
    [topic] = await slack.fake.wait_for("response_url", name=name)
    assert "payload" in topic.text_of_blocks
    form = {"command": "/learn", "text": "progress", "user_id": "UBEN", "team_id": TEAM,
            "team_domain": "payload-inc", "channel_id": "C0PAYLOAD", "channel_name": "payload-team",
            "response_url": slack.fake.response_url("in-payload-team"), "trigger_id": "t"}
    assert (await slack.post(urlencode(form), "application/x-www-form-urlencoded")).status == 200
    [progress] = await slack.fake.wait_for("response_url", name="in-payload-team")
    assert "Progress · Ben Buyer" in progress.text_of_blocks


def _press_payload(response_url: str) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": "UBEN", "team_id": TEAM}, "team": {"id": TEAM},
            "trigger_id": "t1", "response_url": response_url,
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "DUBEN", "is_ephemeral": False},
            "channel": {"id": "DUBEN"}, "message": {"ts": "1.2"},
            "actions": [{"type": "button", "action_id": "coach.feedback.0", "block_id": "b",
                         "value": '{"d": 1, "r": "useful"}', "text": {"type": "plain_text", "text": "x"}}]}


def _legacy_payloads() -> list[tuple[str, str]]:
    """Interactivity payload types this app never asks for (attachments, dialogs, workflow steps, shortcuts),
    with the coach's own action and callback ids, each as a form (how Slack posts them) and as JSON."""
    user = {"id": "UBEN", "team_id": TEAM}
    payloads: list[dict[str, Any]] = [
        {"type": "interactive_message", "callback_id": "coach.answer.0", "actions": [{"name": "x", "value": "1"}]},
        {"type": "interactive_message", "callback_id": "slack.reflect", "actions": [{"name": "x"}], "user": user},
        {"type": "dialog_submission", "callback_id": "coach.settings", "submission": {}, "user": user},
        {"type": "dialog_cancellation", "callback_id": "coach.x"},
        {"type": "workflow_step_edit", "callback_id": "coach.x", "trigger_id": "t"},
        {"type": "message_action", "callback_id": "coach.answer.0", "user": user},
        {"type": "view_closed", "user": user, "view": {"type": "modal", "callback_id": "coach.settings"}},
    ]
    return [body for payload in payloads for body in (
        (urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"),
        (json.dumps(payload), "application/json"))]


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every place in a payload, with each wrong type put there."""
    found = [(path, wrong) for wrong in (None, 7, "x", [], {}, [1], {"id": 3})] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _mutations(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _mutations(inner, (*path, index))
    return found


def _mutated(payload: dict[str, Any], path: tuple[Any, ...], wrong: Any) -> dict[str, Any]:
    copied = copy.deepcopy(payload)
    target: Any = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = copy.deepcopy(wrong)
    return copied


@sqlite_only
async def test_malformed_bodies_are_400_and_nothing_makes_the_server_fail(slack: SlackServer) -> None:
    json_type, form = "application/json", "application/x-www-form-urlencoded"
    broken = [
        ("{not json", json_type), ("[1, 2]", json_type), ('"text"', json_type), ("", form),
        ("payload=%7Bbroken", form), ("payload=%5B%5D", form), ("just words", form), ("a=1&a", form),
        (json.dumps({"type": "event_callback", "event": "x", "event_id": "Ev1"}), json_type),
        (json.dumps({"type": "event_callback", "event": {"type": "message"}}), json_type),
        (json.dumps({"type": "url_verification"}), json_type),
        (json.dumps({"user": 5, "type": "block_actions"}), json_type),
        (urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "UBEN"}})}), form),
        (urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": "UBEN"},
                                           "view": {"callback_id": "coach.settings"}})}), form),  # no view.type
        (urlencode({"command": "/learn", "text": "x"}), form),
        ('{"type": "event_callback", "event": ' + "[" * DEEP + "]" * DEEP + "}", json_type),
        (urlencode({"payload": '{"type": "block_actions", "actions": ' + "[" * DEEP + "]" * DEEP + "}"}), form),
        *_legacy_payloads(),
        (b"payload=%7B%22type%22%3A%22block_actions%22%7D\xff", form),  # signed over bytes that are not UTF-8
        (b'{"type": "event_callback", "event_id": "Ev\xe9", "event": {"type": "message"}}', json_type),
    ]
    for body, content_type in broken:
        answered = await slack.post(body, content_type)
        assert answered.status == 400, (body, answered)
        assert "malformed" in answered.json()["error"]
    assert "not UTF-8" in (await slack.post(b'{"type": "\xff"}', json_type)).json()["error"]

    huge = await slack.post(json.dumps({"type": "event_callback", "padding": "x" * 2_000_000}), json_type)
    assert huge.status == 413

    press = _press_payload(slack.fake.response_url("press"))
    statuses = set()
    for path, wrong in _mutations(press):
        answered = await slack.post_payload(_mutated(press, path, wrong))
        statuses.add(answered.status)
        assert answered.status < 500, (path, wrong, answered)
    assert {200, 400} <= statuses <= {200, 400, 404}  # 404: a payload type Bolt has no listener for
    await slack.settle()
    async with slack.http.get(slack.url + "/healthz") as health:
        assert health.status == 200


async def test_an_events_api_retry_is_acted_on_once(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    first, retry = await asyncio.gather(ben.say("progress", event_id="EvRETRY1"),
                                        ben.say("progress", event_id="EvRETRY1"))
    late = await slack.event({"type": "message", "channel": ben.dm, "channel_type": "im", "user": "UBEN",
                              "text": "progress", "ts": "1.1"}, event_id="EvRETRY1", retry=2)
    assert first.status == retry.status == late.status == 200
    await slack.settle()
    assert len(slack.fake.calls_to("chat.postMessage", channel=ben.dm)) == 1
    async with slack.coach.services.database.session() as session:
        row = await session.get(ProcessedEvent, "slack:event:EvRETRY1")
    assert row is not None and row.done_at is not None and row.lease_until is None


async def test_a_retry_takes_over_when_the_first_attempt_died(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    now = utcnow()
    async with slack.coach.services.database.session() as session:
        session.add(ProcessedEvent(key="slack:event:EvDIED", created_at=now - timedelta(minutes=2),
                                   lease_until=now - timedelta(minutes=1)))
        session.add(ProcessedEvent(key="slack:event:EvBUSY", created_at=now, lease_until=now + timedelta(minutes=1)))
    await ben.say("help", event_id="EvBUSY")  # still in the hands of a live attempt: left to it
    await ben.say("progress", event_id="EvDIED")
    [taken_over] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    await slack.settle()
    assert "Progress · Ben Buyer" in taken_over.text_of_blocks
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_failed_attempt_leaves_the_event_to_slacks_next_retry(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    slack.fake.fail("chat.postMessage", 500, times=3)
    await ben.say("help", event_id="EvFAILS")
    await slack.settle()
    [sorry] = slack.fake.calls_to("chat.postMessage", channel=ben.dm)  # Slack took posts again by then
    assert "something went wrong on my side" in sorry.text_of_blocks
    async with slack.coach.services.database.session() as session:
        assert await session.get(ProcessedEvent, "slack:event:EvFAILS") is None
    await slack.event({"type": "message", "channel": ben.dm, "channel_type": "im", "user": "UBEN", "text": "help",
                       "ts": "1.1"}, event_id="EvFAILS", retry=1)
    [_, helped] = await slack.fake.wait_for("chat.postMessage", 2, channel=ben.dm)
    assert "/learn progress" in helped.text_of_blocks


@sqlite_only
async def test_at_debug_level_neither_the_bot_token_nor_the_signing_secret_is_logged(
        slack: SlackServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ben = slack.person("UBEN")
    await ben.command("")
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    await ben.press(lesson.buttons()[0], lesson)
    await slack.fake.wait_for("chat.postMessage", 2, channel=ben.dm)  # the answer's result
    slack.fake.fail("chat.postMessage", 500, times=3)  # failures log their exceptions
    await ben.say("progress")
    await slack.settle()
    await slack.post(_help_command(slack), "application/x-www-form-urlencoded", signature="v0=forged")
    await slack.settle()

    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "Sending a request - url: POST" in logged and "chat.update" in logged  # the Web API, call by call
    assert "Slack work failed" in logged and "Traceback" in logged
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged
    assert BOT_TOKEN.split("-", 1)[1] not in logged and SIGNING_SECRET[:12] not in logged


@sqlite_only
async def test_url_verification_bots_own_messages_health_and_metrics(slack: SlackServer) -> None:
    challenge = await slack.post(json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"}),
                                 "application/json")
    assert challenge.status == 200 and "c-123" in challenge.text
    own = await slack.event({"type": "message", "channel": "DUBEN", "channel_type": "im", "user": "UBOT",
                             "bot_id": "BBOT", "text": "help", "ts": "1.1"})
    edited = await slack.event({"type": "message", "subtype": "message_changed", "channel": "DUBEN",
                                "channel_type": "im", "message": {"user": "UBEN", "text": "help"}, "ts": "1.2"})
    assert own.status == edited.status == 200
    ben = slack.person("UBEN")
    await ben.command("")
    await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    await slack.settle()
    assert slack.fake.calls_to("chat.postMessage") == slack.fake.calls_to("chat.postMessage", channel=ben.dm)
    await slack.post(_help_command(slack), "application/json", signature="v0=forged")
    async with slack.http.get(slack.url + "/metrics") as response:
        metrics = await response.text()
    assert 'coach_http_requests_total{route="/slack/events",status="401"}' in metrics
    assert 'coach_http_requests_total{route="/slack/events",status="200"}' in metrics
    assert 'coach_lessons_sent_total{origin="on_demand",platform="slack"}' in metrics
    assert 'coach_handler_seconds_count{platform="slack"}' in metrics


@sqlite_only
async def test_socket_mode_answers_commands_over_the_websocket(db: Database, settings: Settings, clock: Clock,
                                                               tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    fake = await FakeSlack().start()
    workspace_users(fake)
    config = slack_config(settings, fake.url, slack_app_token=SecretStr("xapp-test"))
    platforms = Platforms()
    listeners = attach_slack(platforms, Coach(db, config, clock=clock), config)
    assert platforms.mounts == [] and len(platforms.background) == 1
    running = asyncio.ensure_future(platforms.background[0]())
    try:
        ack = await fake.push("slash_commands", {
            "command": "/learn", "text": "", "user_id": "UBEN", "team_id": TEAM, "channel_id": "C1",
            "response_url": fake.response_url("socket"), "trigger_id": "t-socket"})
        assert "envelope_id" in ack.args
        [lesson] = await fake.wait_for("chat.postMessage", channel="DUBEN")
        assert lesson.buttons()
        await fake.wait_for("response_url", name="socket")
        assert fake.calls_to("apps.connections.open")
    finally:
        running.cancel()
        await listeners.background.drain()
        for cleanup in platforms.cleanups:
            await cleanup()
        await fake.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@sqlite_only
async def test_coach_serve_runs_the_bot_until_sigterm(db_url: str, db: Database, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    fake = await FakeSlack().start()
    workspace_users(fake)
    port = _free_port()
    env = {**os.environ, "COACH_DATABASE_URL": db_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.url}
    env.pop("SLACK_APP_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from handlers.cli import main; main()", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            await until_serving(http, port, process)
            body = urlencode({"command": "/learn", "text": "", "user_id": "UCARA", "team_id": TEAM,
                              "channel_id": "DUCARA", "response_url": fake.response_url("served"),
                              "trigger_id": "t"})
            stamp = int(time.time())
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Signature": sign(body, stamp),
                       "X-Slack-Request-Timestamp": str(stamp)}
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as answered:
                assert answered.status == 200
        [lesson] = await fake.wait_for("chat.postMessage", channel="DUCARA")
        assert lesson.buttons()
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), PATIENCE)
        assert process.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()
