"""Slack's `users.info` kept off the way to a reply: people are found by their stored Slack id, the
profile's time zone is learned beside the request, a settings submission is acknowledged without asking Slack
(someone Slack must name first hears the outcome in their DM), and requests waiting out a `Retry-After` leave
the work slots to everyone else."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.slack.modals import settings_modal
from handlers.slack.work import CONCURRENCY
from store.models import LearnerSettings, Person
from tests.support.fake_slack import Call
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # about Slack's answers, not the store

THREE_A_DAY = {"lessons_per_day": {"type": "static_select", "selected_option": {"value": "3"}}}


async def _person(slack: SlackServer, email: str) -> Person:
    async with slack.coach.services.database.session() as session:
        person = await session.get(Person, slack.ids[email])
        assert person is not None
        return person


async def _no_org_chart_zone(slack: SlackServer, email: str) -> None:
    person = await _person(slack, email)
    person.timezone = None
    async with slack.coach.services.database.session() as session:
        session.add(person)


async def _lessons_per_day(slack: SlackServer, email: str) -> int:
    async with slack.coach.services.database.session() as session:
        settings = await session.get(LearnerSettings, slack.ids[email])
        assert settings is not None
        return settings.lessons_per_day


async def _settings_modal(slack: SlackServer, email: str) -> Call:
    """The settings modal as the bot would open it for this person (without asking Slack anything)."""
    form = await slack.coach.settings_form(slack.ids[email])
    return Call("views.open", {"view": settings_modal(form)})


def _texts(calls: list[Call]) -> list[str]:
    return [c.text_of_blocks for c in calls]


async def test_a_reply_does_not_wait_for_users_info_and_the_zone_is_learned_beside_it(slack: SlackServer) -> None:
    ben = slack.person("UBEN")  # listed by Slack id; the org chart gives him no zone
    await _no_org_chart_zone(slack, "ben@example.com")
    slack.fake.profiles["UBEN"]["tz"] = "America/Denver"
    slack.fake.fail("users.info", 429, times=1, retry_after=2)

    name = await ben.command("progress")
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert "Progress · Ben Buyer" in answer.text_of_blocks
    await slack.settle()
    tries = slack.fake.attempts("users.info")
    assert [c.status for c in tries] == [429, 200]
    assert slack.fake.calls.index(answer) < slack.fake.calls.index(tries[1])  # answered before the retry
    assert (await _person(slack, "ben@example.com")).timezone == "America/Denver"

    await ben.command("settings")  # the profile's zone is now the default the modal starts from
    [modal] = await slack.fake.wait_for("views.open")
    fields = {b["block_id"]: b["element"] for b in modal.args["view"]["blocks"] if b["type"] == "input"}
    assert fields["timezone"]["initial_value"] == "America/Denver"
    await slack.settle()
    assert len(slack.fake.attempts("users.info")) == 2  # learned once: no more profile look-ups


async def test_a_settings_submission_is_saved_and_answered_without_asking_slack(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    modal = await _settings_modal(slack, "ben@example.com")
    slack.fake.fail("users.info", 429, times=None, retry_after=2)

    answered = await ben.submit(modal, THREE_A_DAY)
    assert answered.status == 200 and not answered.text
    assert slack.fake.attempts("users.info") == []  # the answer did not wait on Slack's profile at all
    await slack.settle()
    assert await _lessons_per_day(slack, "ben@example.com") == 3
    saved = [t for t in _texts(slack.fake.calls_to("chat.postMessage", channel=ben.dm)) if "Saved." in t]
    assert len(saved) == 1


async def test_someone_slack_must_name_first_is_answered_at_once_and_saved_once_slack_says_who(
        slack: SlackServer) -> None:
    """Gus is in the org chart by email only: Slack's profile must name him before his form can be saved, and
    Slack throttles, then answers slower than the 3 seconds it waits for the acknowledgement."""
    gus = slack.person("UGUS")
    modal = await _settings_modal(slack, "gus@example.com")
    slack.fake.fail("users.info", 429, times=1, retry_after=1)
    slack.fake.delays["users.info"] = 4.0

    answered = await gus.submit(modal, THREE_A_DAY)
    assert answered.status == 200 and answered.text == ""  # the modal closes: no "try again"
    assert slack.fake.calls_to("users.info") == []  # answered before Slack named him
    await slack.settle()
    assert [c.status for c in slack.fake.attempts("users.info")] == [429, 200]  # its Retry-After waited out
    assert await _lessons_per_day(slack, "gus@example.com") == 3
    saved = [t for t in _texts(slack.fake.calls_to("chat.postMessage", channel=gus.dm)) if "Saved." in t]
    assert len(saved) == 1


async def test_a_newcomers_value_to_correct_or_a_silent_slack_is_said_in_the_dm(slack: SlackServer) -> None:
    gus = slack.person("UGUS")
    modal = await _settings_modal(slack, "gus@example.com")
    before = await _lessons_per_day(slack, "gus@example.com")
    slack.fake.fail("users.info", 503, times=None)  # Slack cannot say who he is, even after retries

    assert (await gus.submit(modal, THREE_A_DAY)).text == ""
    await slack.settle()
    [told] = _texts(slack.fake.calls_to("chat.postMessage", channel=gus.dm))
    assert "couldn't save your settings" in told and "try again in a minute" in told
    assert await _lessons_per_day(slack, "gus@example.com") == before

    slack.fake.faults.clear()
    no_days = {**THREE_A_DAY, "days": {"type": "checkboxes", "selected_options": []}}
    assert (await gus.submit(modal, no_days)).text == ""
    await slack.settle()
    told = _texts(slack.fake.calls_to("chat.postMessage", channel=gus.dm))[-1]
    assert "couldn't save your settings: Pick at least one day" in told and "/learn settings" in told
    assert await _lessons_per_day(slack, "gus@example.com") == before


async def test_requests_waiting_out_a_429_leave_the_work_slots_to_everyone_else(slack: SlackServer) -> None:
    strangers = [f"USTRANGER{n}" for n in range(CONCURRENCY)]
    for n, user_id in enumerate(strangers):  # each needs users.info: only the email could match them
        slack.fake.add_user(user_id, f"visitor{n}@partner.example")
    slack.fake.fail("users.info", 429, times=CONCURRENCY, retry_after=2)
    names = [await slack.person(user_id).command("progress") for user_id in strangers]
    await slack.fake.wait_until(lambda: len(slack.fake.attempts("users.info")) == CONCURRENCY)

    name = await slack.person("UBEN").command("progress")
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert "Progress · Ben Buyer" in answer.text_of_blocks
    assert slack.fake.calls_to("users.info") == []  # all of them were still waiting out Retry-After

    answers: list[Any] = [await slack.fake.wait_for("response_url", name=n) for n in names]
    assert all("couldn't find you in our org chart" in a[0].text_of_blocks for a in answers)
