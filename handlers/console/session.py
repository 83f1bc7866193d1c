"""`coach chat`: one person's conversation with the coach in the terminal, as it would go in Slack.

Type the same words as in Slack (`/learn progress`, `learn goal buyer`, `purchase order` …), a number to
answer, a letter to press a button, free text after a reflection question, `quit` to leave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.chat.coach import Coach
from bot.chat.pipeline import Pipeline
from bot.lessons.preferences import SettingsError
from bot.replies import LessonCard, Reply, SettingsForm
from handlers.console.render import Keys, render
from store.models import Person

VIA = "console"
QUIT = {"quit", "exit", "bye", ":q"}
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ConsoleChat:
    """Reads a line, turns it into a command, a button press or a reflection, and prints the reply: the
    terminal's side of the request pipeline (`bot.chat.pipeline.Surface`) for one known person."""

    platform = VIA

    def __init__(self, coach: Coach, person_id: int, console: Console, ask: Callable[[str], str]) -> None:
        self.coach = coach
        self.pipeline = Pipeline(coach.services)
        self.person_id = person_id
        self.console = console
        self.ask = ask
        self.keys = Keys()
        self.reflection: LessonCard | None = None
        self.form: SettingsForm | None = None

    async def handle(self, line: str) -> bool:
        """Act on one line; False when the person wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text.lower() in QUIT:
            return False
        button = self.keys.buttons.get(text.lower())
        if button is not None and button.action == "edit_settings":
            await self.edit_settings()
        elif button is not None:
            await self.show(await self.coach.press(self.person_id, button.action, button.value, via=VIA))
        elif self.reflection is not None and not text.startswith("/"):
            card, self.reflection = self.reflection, None
            await self.show(await self.coach.reflect(self.person_id, card.delivery_id, text, via=VIA))
        else:
            await self.show(await self.coach.command(self.person_id, text))
        return True

    async def show(self, reply: Reply) -> None:
        self.keys = Keys()
        await self.pipeline.show(self, reply)

    async def identify(self) -> Person | None:
        async with self.coach.services.database.session() as session:
            return await session.get(Person, self.person_id)

    async def replace(self, item: Any) -> bool:
        self.console.print(Text("(updated)", style="dim"), render(item, Keys()))
        return True

    async def post(self, item: Any, *, ephemeral: bool) -> dict[str, Any] | None:
        self.console.print(render(item, self.keys))
        if isinstance(item, LessonCard):
            self.reflection = item if item.prompt and not item.answered else None
        if isinstance(item, SettingsForm):
            self.form = item
        return None

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        for name, data, _mime in files:
            await asyncio.to_thread(Path(name).write_bytes, data)
            self.console.print(Text(f"📎 saved {name}", style="dim"))

    async def lesson_deferred(self, card: LessonCard) -> None:
        """The terminal never refuses a message."""

    async def edit_settings(self) -> None:
        """The settings modal, as questions with the current values as defaults."""
        form = self.form or await self.coach.settings_form(self.person_id)
        current_days = " ".join(DAY_NAMES[int(d) - 1] for d in form.days)
        days = self.ask(f"Days [{current_days}]: ").split() or current_days.split()
        values: dict[str, Any] = {
            "days": [str(DAY_NAMES.index(d[:3].lower()) + 1) for d in days if d[:3].lower() in DAY_NAMES],
            "window_start": self.ask(f"Window starts [{form.window_start}]: ") or form.window_start,
            "window_end": self.ask(f"Window ends [{form.window_end}]: ") or form.window_end,
            "timezone": self.ask(f"Time zone [{form.timezone}]: ") or form.timezone,
            "lessons_per_day": self.ask(f"Lessons per day [{form.lessons_per_day}]: ") or form.lessons_per_day,
            "formats": (self.ask(f"Formats first (of {', '.join(c.value for c in form.format_choices)}) "
                                 f"[{' '.join(form.formats)}]: ") or " ".join(form.formats)).split(),
            "show_name_to_peers": _yes(self.ask(f"Peers may see my name (y/n) [{_yn(form.show_name_to_peers)}]: "),
                                       form.show_name_to_peers),
            "shoutout_opt_in": _yes(self.ask(f"Shout-outs (y/n) [{_yn(form.shoutout_opt_in)}]: "),
                                    form.shoutout_opt_in),
        }
        try:
            await self.show(await self.coach.save_settings(self.person_id, values))
        except SettingsError as exc:
            self.console.print(Text(f"Not saved: {exc}", style="bold red"))

    async def run(self) -> None:
        self.console.print(Text("Type /learn help for the commands, a number to answer, quit to leave.", style="dim"))
        await self.show(await self.coach.command(self.person_id, "help"))
        while True:
            try:
                line = self.ask("> ")
            except EOFError:
                return
            if not await self.handle(line):
                return


def _yn(flag: bool) -> str:
    return "y" if flag else "n"


def _yes(answer: str, default: bool) -> bool:
    return default if not answer.strip() else answer.strip().lower().startswith("y")
