"""The coach as the chat handlers, the dispatcher and the CLI see it: one object, built once per process,
that turns who-did-what into replies. It holds no learner state; the database is the only truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.chat import actions, commands
from bot.config import Settings
from bot.errors import CoachError
from bot.ids import as_int
from bot.lessons import answers, preferences
from bot.lessons.ledger import Ledger
from bot.lessons.schedule import known_zone, zone_of
from bot.lessons.welcome import welcome_notice
from bot.replies import Button, Reply, SettingsForm
from bot.services import Services, new_worker_id
from content.semantic import ModelUnavailable, load_reranker
from store import dispatch, learning, people
from store.db import Database
from store.models import Person
from store.types import utcnow


class Coach:
    """Use cases behind one façade: what handlers call. The use cases themselves take `services`."""

    def __init__(self, database: Database, config: Settings, *, clock: Callable[[], datetime] = utcnow,
                 worker_id: str | None = None) -> None:
        self.services = Services(database, config, clock, worker_id or new_worker_id())
        self.ledger = Ledger(self.services)
        try:
            self.reranker = load_reranker(config.search_model) if config.search_model else None
        except ModelUnavailable as exc:
            raise CoachError(str(exc)) from exc
        """Semantic re-ranking of topic search, when COACH_SEARCH_MODEL names a model: loaded here, once per
        process (`load_reranker` keeps it), so that a model that cannot load stops the start in words."""

    async def identify(self, platform: str, external_id: str, *,
                       email: Callable[[], Awaitable[str | None]] | None = None, alt_id: str | None = None,
                       trusted: bool = True, **details: Any) -> Person | None:
        """The org-chart person behind a chat account: by platform id, else by the email the platform
        reports (then the id is remembered). `details` (workspace, address, timezone) are stored. Someone
        who has left the org chart (`active` false) is nobody: no lessons, no team, nothing remembered.
        An address from a request nobody authenticated (`trusted` false) never replaces a stored one."""
        async with self.services.database.session() as session:
            person = await people.person_by_identity(session, platform, external_id)
            if person is None and alt_id:
                person = await people.person_by_identity(session, platform, alt_id)
        address = await email() if person is None and email is not None else None  # never inside a transaction:
        async with self.services.database.session() as session:  # asking the platform can take retries
            if address:
                person = await people.person_by_email(session, address)
            elif person is not None:
                person = await session.get(Person, person.id)
            if person is None or not person.active:
                return None
            assert person.id is not None
            fields = {k: v for k, v in details.items() if v is not None}
            if alt_id:
                fields["alt_id"] = alt_id
            if not trusted and "address" in fields:
                fields["unverified_address"] = fields.pop("address")
            await people.link_identity(session, person.id, platform, external_id, **fields)
            if known_zone(details.get("timezone")) and not person.timezone:
                person.timezone = details["timezone"]
                session.add(person)
            return person

    async def welcome(self, person_id: int) -> Reply:
        """The first-contact welcome (once per person, whichever platform or the dispatcher comes first);
        later installs get a short hello instead of the whole introduction again."""
        async with self.services.database.session() as session:
            person, settings = await learning.learner(session, person_id)
            first = await dispatch.claim_welcome(session, person_id, self.services.clock())
        if first:
            notice = welcome_notice(person, settings, zone_of(settings, person))
            notice.buttons.insert(0, Button("First lesson now", "next", {}, "primary"))
            return Reply(messages=[notice])
        name = person.name.split()[0] if person.name.strip() else "there"
        return Reply.text(f"Welcome back, {name}! Type `learn` for a lesson now or `help` for everything I can do.",
                          Button("Lesson now", "next", {}, "primary"))

    async def command(self, person_id: int, text: str, *, default: str = "learn") -> Reply:
        """Typed words or a slash command's text (`default` says which command a bare text belongs to)."""
        return await commands.run(self.services, person_id, commands.parse(text, default))

    async def press(self, person_id: int, action: str, value: dict[str, Any], *, via: str) -> Reply:
        return await actions.press(self.services, person_id, action, value, via=via)

    async def reflect(self, person_id: int, delivery_id: int, text: str, *, via: str) -> Reply:
        """A reflection's text for the delivery a modal's or card's metadata names (checked: it came back
        from the platform)."""
        if as_int(delivery_id) is None:
            return actions.UNKNOWN
        return await answers.reflect(self.services, person_id, delivery_id, text, via=via)

    async def settings_form(self, person_id: int) -> SettingsForm:
        return await preferences.settings_form(self.services, person_id)

    async def save_settings(self, person_id: int, values: dict[str, Any]) -> Reply:
        """Raises `preferences.SettingsError` (with the field) when a value must be corrected."""
        return await preferences.save_settings(self.services, person_id, values)

    async def sent(self, delivery_id: int, *, platform: str, message_ref: dict[str, Any] | None,
                   origin: str = "on_demand") -> bool:
        """A lesson posted outside the request pipeline (the demo's simulated chat, a test's); False if
        another process had taken the send over meanwhile."""
        return await self.ledger.sent(delivery_id, platform=platform, origin=origin, message_ref=message_ref)
