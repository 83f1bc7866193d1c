"""Every `/learn` word and `/team` over real HTTP, the same words typed in the DM, settings in a modal, the
App Home, and people the org chart does not know — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from store.models import ChatIdentity, LearnerSettings, Person, Suggestion
from tests.support.slack_session import STRANGER, SlackServer, button, slack

__all__ = ["slack"]  # fixture


async def _answer(slack: SlackServer, name: str) -> str:
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert answer.args["response_type"] == "ephemeral"
    return answer.text_of_blocks


async def _settings(slack: SlackServer, email: str) -> LearnerSettings:
    async with slack.coach.services.database.session() as session:
        found = await session.get(LearnerSettings, slack.ids[email])
        assert found is not None
        return found


async def test_progress_pause_resume_goal_suggest_help_and_peers(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    progress = await _answer(slack, await ben.command("progress"))
    assert "Progress · Ben Buyer" in progress and "Purchase approvals" in progress and "Streak" in progress
    assert "Mia Manager (your manager) sees" in progress
    assert "No answers yet on this competency" in progress  # the model explains each level in words
    assert "0 answered" not in progress and "% mastery" not in progress  # no bar of the prior before any answer

    assert "Paused" in await _answer(slack, await ben.command("pause"))
    assert (await _settings(slack, "ben@example.com")).paused
    assert "Welcome back" in await _answer(slack, await ben.command("resume"))
    assert not (await _settings(slack, "ben@example.com")).paused

    goal = await _answer(slack, await ben.command("goal people-manager"))
    assert "Goal: People manager" in goal or "Goal:" in goal
    assert (await _settings(slack, "ben@example.com")).goal_role_id == "people-manager"

    assert "passed your suggestion" in await _answer(slack, await ben.command("suggest negotiating with suppliers"))
    async with slack.coach.services.database.session() as session:
        assert [s.text for s in (await session.exec(select(Suggestion))).all()] == ["negotiating with suppliers"]

    assert "/learn progress" in await _answer(slack, await ben.command("help"))
    assert "Your team and you" in await _answer(slack, await ben.command("team"))


async def test_settings_modal_defaults_to_the_slack_time_zone_and_checks_what_is_saved(slack: SlackServer) -> None:
    gus = slack.person("UGUS")  # no Slack id in the org chart: matched by the email users.info reports
    async with slack.coach.services.database.session() as session:
        person = await session.get(Person, slack.ids["gus@example.com"])
        assert person is not None
        person.timezone = None
        session.add(person)
    slack.fake.profiles["UGUS"]["tz"] = "America/Denver"

    await gus.command("settings")
    [modal] = await slack.fake.wait_for("views.open")
    view = modal.args["view"]
    assert modal.args["trigger_id"].startswith("trigger-cmd") and view["callback_id"] == "coach.settings"
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["timezone"]["initial_value"] == "America/Denver"
    assert [o["value"] for o in fields["days"]["initial_options"]] == ["1", "2", "3", "4", "5"]
    assert fields["window_start"]["initial_time"] == "10:00" and fields["window_end"]["initial_time"] == "17:00"
    assert "digest_opt_in" not in [o["value"] for o in fields["privacy"]["options"]]  # Gus manages nobody

    bad = await gus.submit(modal, {
        "days": {"type": "checkboxes", "selected_options": [{"value": "1"}]},
        "window_start": {"type": "timepicker", "selected_time": "15:00"},
        "window_end": {"type": "timepicker", "selected_time": "09:00"},
        "timezone": {"type": "plain_text_input", "value": "America/Denver"},
        "lessons_per_day": {"type": "static_select", "selected_option": {"value": "1"}},
    })
    assert bad.status == 200 and bad.json() == {"response_action": "errors",
                                                "errors": {"window_end": "The window must end after it starts."}}
    zone = await gus.submit(modal, {"timezone": {"type": "plain_text_input", "value": "Mars/Olympus"}})
    assert list(zone.json()["errors"]) == ["timezone"]

    good = await gus.submit(modal, {
        "days": {"type": "checkboxes", "selected_options": [{"value": "1"}, {"value": "3"}]},
        "window_start": {"type": "timepicker", "selected_time": "08:30"},
        "window_end": {"type": "timepicker", "selected_time": "11:00"},
        "timezone": {"type": "plain_text_input", "value": "Europe/Paris"},
        "lessons_per_day": {"type": "static_select", "selected_option": {"value": "2"}},
        "formats": {"type": "checkboxes", "selected_options": [{"value": "video"}]},
        "goal_role": {"type": "static_select", "selected_option": {"value": "buyer"}},
        "interests": {"type": "multi_static_select", "selected_options": [{"value": "infosec"}]},
        "privacy": {"type": "checkboxes", "selected_options": [{"value": "shoutout_opt_in"}]},
    })
    assert good.status == 200 and not good.text
    [saved] = await slack.fake.wait_for("chat.postMessage", channel=gus.dm)
    assert "Saved." in saved.text_of_blocks
    await slack.fake.wait_for("views.publish", user_id="UGUS")
    settings = await _settings(slack, "gus@example.com")
    assert (settings.days, settings.window_start, settings.window_end, settings.timezone) == (
        "13", "08:30", "11:00", "Europe/Paris")
    assert (settings.lessons_per_day, settings.formats, settings.goal_role_id, settings.interests) == (
        2, ["video"], "buyer", ["infosec"])
    assert settings.shoutout_opt_in and not settings.show_name_to_peers
    async with slack.coach.services.database.session() as session:
        identity = (await session.exec(select(ChatIdentity).where(ChatIdentity.external_id == "UGUS"))).one()
    assert identity.person_id == slack.ids["gus@example.com"] and identity.timezone == "America/Denver"


async def test_words_typed_in_the_dm_do_what_the_commands_do(slack: SlackServer) -> None:
    eli = slack.person("UELI")
    assert (await eli.say("hi")).status == 200
    [help_text] = await slack.fake.wait_for("chat.postMessage", channel=eli.dm)
    assert "/learn progress" in help_text.text_of_blocks

    await eli.say("learn")
    lesson = (await slack.fake.wait_for("chat.postMessage", 2, channel=eli.dm))[1]
    assert lesson.args["blocks"][0]["type"] == "header" and lesson.buttons()

    await eli.say("settings")
    summary = (await slack.fake.wait_for("chat.postMessage", 3, channel=eli.dm))[2]
    await eli.press(button(summary, "Change settings"), summary)
    [modal] = await slack.fake.wait_for("views.open")
    assert modal.args["view"]["callback_id"] == "coach.settings"

    await eli.say("progress")
    progress = (await slack.fake.wait_for("chat.postMessage", 4, channel=eli.dm))[3]
    assert "Progress · Eli Operator" in progress.text_of_blocks
    await slack.settle()
    assert not slack.fake.calls_to("response_url")


async def test_app_home_shows_progress_with_lesson_and_settings_buttons(slack: SlackServer) -> None:
    omar = slack.person("UOMAR")
    async with slack.coach.services.database.session() as session:
        settings = await session.get(LearnerSettings, slack.ids["omar@example.com"])
        assert settings is not None
        settings.next_slot_at = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
        session.add(settings)
    assert (await omar.open_home()).status == 200
    [home] = await slack.fake.wait_for("views.publish", user_id="UOMAR")
    view = home.args["view"]
    assert view["type"] == "home" and "Progress · Omar Owner" in home.text_of_blocks
    assert "Next lesson: <!date^1796142600^{date_short_pretty} at {time}|Tue 1 Dec, 11:30 (America/New_York)>" \
        in home.text_of_blocks
    labels = [b["text"]["text"] for b in home.buttons()]
    assert {"Lesson now", "Settings"} <= set(labels)

    await omar.press(button(home, "Lesson now"), view=home.answer["view"])
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=omar.dm)
    assert lesson.buttons()
    await slack.fake.wait_for("views.publish", 2, user_id="UOMAR")
    await omar.press(button(home, "Settings"), view=home.answer["view"])
    [modal] = await slack.fake.wait_for("views.open")
    assert modal.args["view"]["callback_id"] == "coach.settings"


async def test_team_for_a_manager_and_a_polite_refusal_for_everyone_else(slack: SlackServer) -> None:
    dana = slack.person("UDANA")
    summary = await _answer(slack, await dana.command("", command="/team"))
    assert "Your team" in summary

    fay = slack.person("UFAY")
    refusal = await _answer(slack, await fay.command("", command="/team"))
    assert "no one reporting to you" in refusal
    for other in ("Ben", "Cara", "Omar", "Mia"):
        assert other not in refusal


async def test_someone_not_in_the_org_chart_gets_a_kind_answer_everywhere(slack: SlackServer) -> None:
    stranger = slack.person(STRANGER)
    answer = await _answer(slack, await stranger.command(""))
    assert "couldn't find you in our org chart" in answer and "nobody@example.com" in answer

    await stranger.say("hello")
    [said] = await slack.fake.wait_for("chat.postMessage", channel=stranger.dm)
    assert "HR or L&amp;D admin" in said.text_of_blocks

    await stranger.open_home()
    [home] = await slack.fake.wait_for("views.publish", user_id=STRANGER)
    assert "couldn't find you" in home.text_of_blocks
    await slack.settle()
    async with slack.coach.services.database.session() as session:
        assert not (await session.exec(select(ChatIdentity).where(ChatIdentity.external_id == STRANGER))).all()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # about Slack's answers, not the store
async def test_when_slack_cannot_say_who_someone_is_they_are_asked_to_try_again(slack: SlackServer) -> None:
    slack.fake.fail("users.info", 429, times=None)  # every call, the client's own retries included
    gus = slack.person("UGUS")  # in the org chart by email only: without his profile nobody can tell
    busy = await _answer(slack, await gus.command("progress"))
    assert "try again in a minute" in busy and "couldn't find you" not in busy
    stranger = slack.person(STRANGER)
    assert "couldn't find you" not in await _answer(slack, await stranger.command(""))
    ben = slack.person("UBEN")  # listed by Slack id: served without his profile
    assert "Progress · Ben Buyer" in await _answer(slack, await ben.command("progress"))

    slack.fake.faults.clear()
    assert "Progress · Gus Agent" in await _answer(slack, await gus.command("progress"))
    ghost = slack.person("UGHOST")  # users.info answers user_not_found: a lookup that worked
    assert "couldn't find you in our org chart" in await _answer(slack, await ghost.command(""))
