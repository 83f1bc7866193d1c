"""What a pressed button does, by a table: each action names the validator of its value and its use case.

Buttons carry an action name and a small value (see `bot.replies.Button`); the value comes from the platform,
so a validator checks every field before use (ids by `bot.ids.as_int`) and turns it into the use case's
arguments, or None for a value no button of ours would carry. A new button is one row here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.ids import as_int
from bot.lessons import answers, lessons, preferences, topics
from bot.replies import Reply
from bot.services import Services
from bot.team import summary

UNKNOWN = Reply.text("That button is no longer active. Type `/learn help` to see what I can do.", ephemeral=True)

Arguments = dict[str, Any]
CURRENT_CARD = "card"
"""The lesson card as it stands (a card that refreshes itself asks for it): nothing is recorded."""


@dataclass(frozen=True)
class Route:
    """`validate` turns a button's value into arguments (None: not a value of ours); `run` is the use case,
    called as `run(services, person_id, arguments, via)`."""

    validate: Callable[[dict[str, Any]], Arguments | None]
    run: Callable[[Services, int, Arguments, str], Awaitable[Reply]]


def _answer(value: dict[str, Any]) -> Arguments | None:
    delivery, option = as_int(value.get("d")), as_int(value.get("o"), low=0)
    return None if delivery is None or option is None else {"delivery": delivery, "choice": option}


def _delivery(value: dict[str, Any]) -> Arguments | None:
    delivery = as_int(value.get("d"))
    return None if delivery is None else {"delivery": delivery}


def _rating(value: dict[str, Any]) -> Arguments | None:
    delivery, rating = as_int(value.get("d")), value.get("r")
    return None if delivery is None or not isinstance(rating, str) else {"delivery": delivery, "rating": rating}


def _lesson_id(value: dict[str, Any]) -> Arguments | None:
    """The lesson picked, and the search that offered it (when it came from one)."""
    return {"lesson_id": value["l"], "search_id": as_int(value.get("s"))} if isinstance(value.get("l"), str) else None


def _nothing(_value: dict[str, Any]) -> Arguments:
    return {}


async def _answer_press(services: Services, person_id: int, arguments: Arguments, via: str) -> Reply:
    return await answers.answer(services, person_id, arguments["delivery"], arguments["choice"], via=via)


async def _current(services: Services, person_id: int, arguments: Arguments, _via: str) -> Reply:
    return await answers.current(services, person_id, arguments["delivery"])


async def _rate(services: Services, person_id: int, arguments: Arguments, _via: str) -> Reply:
    return await answers.rate(services, person_id, arguments["delivery"], arguments["rating"])


async def _next(services: Services, person_id: int, _arguments: Arguments, _via: str) -> Reply:
    return await lessons.lesson_now(services, person_id)


async def _lesson_on_request(services: Services, person_id: int, arguments: Arguments, _via: str) -> Reply:
    """A lesson the person picked from offered topics (the pick teaches search, `bot.lessons.topics`)."""
    picked = await topics.picked_lesson(services, person_id, arguments["lesson_id"], arguments["search_id"])
    return picked or UNKNOWN


async def _settings(services: Services, person_id: int, _arguments: Arguments, _via: str) -> Reply:
    return Reply(messages=[await preferences.settings_form(services, person_id)], ephemeral=True)


def _team_action(action: str) -> Route:
    """The team views' buttons check their own values against the presser's reports (`bot.team.summary`)."""

    async def run(services: Services, person_id: int, arguments: Arguments, _via: str) -> Reply:
        return await summary.press(services, person_id, action, arguments["value"])

    return Route(lambda value: {"value": value}, run)


ROUTES: dict[str, Route] = {
    "answer": Route(_answer, _answer_press),
    "feedback": Route(_rating, _rate),
    CURRENT_CARD: Route(_delivery, _current),
    "next": Route(_nothing, _next),
    "lesson": Route(_lesson_id, _lesson_on_request),
    "settings": Route(_nothing, _settings),
    **{action: _team_action(action) for action in summary.ACTIONS},
}


async def press(services: Services, person_id: int, action: str, value: dict[str, Any], *, via: str) -> Reply:
    """Route a button press to its use case; malformed values get a polite answer, never an exception."""
    route = ROUTES.get(action)
    arguments = route.validate(value) if route is not None else None
    if route is None or arguments is None:
        return UNKNOWN
    return await route.run(services, person_id, arguments, via)
