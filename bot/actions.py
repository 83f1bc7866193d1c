"""What a pressed button does. Buttons carry an action name and a small value (see `bot.replies.Button`);
the value comes from the platform, so every field is checked before use (ids by `bot.ids.as_int`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.ids import as_int
from bot.replies import Reply
from bot.usecases import answers, lessons, preferences, team, topics

if TYPE_CHECKING:
    from bot.coach import Coach

UNKNOWN = Reply.text("That button is no longer active. Type `/learn help` to see what I can do.", ephemeral=True)


async def press(coach: Coach, person_id: int, action: str, value: dict[str, Any], *, via: str) -> Reply:
    """Route a button press to its use case; malformed values get a polite answer, never an exception."""
    if action == "answer":
        delivery, option = as_int(value.get("d")), as_int(value.get("o"), low=0)
        if delivery is None or option is None:
            return UNKNOWN
        return await answers.answer(coach, person_id, delivery, option, via=via)
    if action == "feedback":
        delivery = as_int(value.get("d"))
        if delivery is None or not isinstance(value.get("r"), str):
            return UNKNOWN
        return await answers.rate(coach, person_id, delivery, value["r"])
    if action == "next":
        return await lessons.lesson_now(coach, person_id)
    if action == "lesson" and isinstance(value.get("l"), str):
        picked = await topics.picked_lesson(coach, person_id, value["l"], as_int(value.get("s")))
        return picked or UNKNOWN
    if action == "settings":
        return Reply(messages=[await preferences.settings_form(coach, person_id)], ephemeral=True)
    if action in team.ACTIONS:
        return await team.press(coach, person_id, action, value)
    return UNKNOWN
