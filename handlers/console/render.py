"""Replies as terminal text (rich): the same conversation as in Slack, with keys instead of buttons.

Answer options are numbered 1, 2, 3…; every other button gets a letter. `Keys` remembers which key
presses which button until the next reply.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.lessons.streaks import streak_length
from bot.replies import (
    AnswerResult,
    Button,
    LessonCard,
    Moment,
    Notice,
    ProgressView,
    Renderers,
    SettingsForm,
    written,
)
from bot.replies import Text as Said

Renderer = Callable[[Any, "Keys"], RenderableType]
RENDERERS: Renderers[Renderer] = Renderers("terminal")
renders = RENDERERS.register
"""Register the terminal renderer of one reply type (use as a decorator)."""


@dataclass
class Keys:
    """Keys shown in the terminal and the buttons they press."""

    buttons: dict[str, Button] = field(default_factory=dict)

    def option(self, button: Button) -> str:
        key = str(sum(k.isdigit() for k in self.buttons) + 1)
        self.buttons[key] = button
        return key

    def letter(self, button: Button) -> str:
        key = next(c for c in string.ascii_lowercase if c not in self.buttons)
        self.buttons[key] = button
        return key

    def row(self, buttons: list[Button]) -> Text:
        text = Text()
        for button in buttons:
            text.append(f"[{self.letter(button)}] ", style="bold cyan")
            text.append(button.label + "   ")
        return text


def render(message: Any, keys: Keys) -> RenderableType:
    renderer = RENDERERS.find(message)
    if renderer is None:
        return Markdown(str(getattr(message, "text", message)))
    return renderer(message, keys)


def markdown(text: Said) -> Markdown:
    """The coach's Markdown, where (as in chat) a single newline is a line break; moments as `iso`."""
    return Markdown(re.sub(r"(?<!\n)\n(?!\n)", "  \n", written(text, iso)))


def iso(moment: Moment) -> str:
    """A moment as the terminal shows it: ISO 8601 on the learner's clock, naming the zone for a time
    ("2026-12-07 10:49 (Europe/Berlin)", a day alone "2026-12-24"), the same whatever the machine's locale."""
    local = moment.local
    return local.date().isoformat() if moment.day else f"{local:%Y-%m-%d %H:%M} ({local.tzinfo})"


@renders(Notice)
def _notice(message: Notice, keys: Keys) -> RenderableType:
    parts: list[RenderableType] = [markdown(message.text)]
    if message.buttons:
        parts.append(keys.row(message.buttons))
    return Group(*parts)


@renders(LessonCard)
def _lesson(card: LessonCard, keys: Keys) -> RenderableType:
    parts: list[RenderableType] = []
    if card.reason:
        parts.append(Text(card.reason, style="italic"))
    if card.body:
        parts.append(markdown(card.body))
    if card.media:
        parts.append(Text(f"▶ {card.media}", style="blue underline"))
    if card.question:
        parts.append(Text("\n" + card.question, style="bold"))
        for button in card.options:
            if card.answered:
                mark = "✔" if button.label == card.chosen else " "
                parts.append(Text(f"  {mark} {button.label}"))
            else:
                parts.append(Text.assemble(("  " + keys.option(button) + ") ", "bold cyan"), button.label))
    elif card.prompt:
        parts.append(Text("\n" + card.prompt, style="bold"))
        parts.append(Text("(type your answer after > and press Enter)" if not card.answered
                          else f"  ✔ {card.chosen}", style="dim"))
    return Panel(Group(*parts), title=f"[bold]{card.title}[/bold]", subtitle=card.header, title_align="left")


@renders(AnswerResult)
def _result(result: AnswerResult, keys: Keys) -> RenderableType:
    if result.correct:
        verdict = Text("✅ Right!", style="bold green")
    else:
        verdict = Text(f"❌ Not quite — the answer is: {result.right_answer}", style="bold red")
    parts: list[RenderableType] = [verdict]
    if result.explain:
        parts.append(markdown(result.explain))
    parts.append(Text(result.progress_line, style="dim"))
    parts.extend(Text(line, style="bold yellow") for line in result.celebrations)
    parts.append(keys.row(result.buttons + result.feedback))
    return Group(*parts)


@renders(ProgressView)
def _progress(view: ProgressView, keys: Keys) -> RenderableType:
    paused = " · paused" if view.paused else ""
    table = Table(title=f"{view.name} · streak {streak_length(view.streak_days)}{paused}")
    for column in ("competency", "level", "target", "mastery", "why", "so far"):
        table.add_column(column)
    for row in view.rows:
        bar = "█" * round(row.mastery * 10) + "░" * (10 - round(row.mastery * 10))
        shown = f"{bar} {row.mastery:.0%}" if row.attempts else "no answers yet"
        table.add_row(row.name, str(row.level), str(row.target or "—"), shown, row.why, row.explanation)
    parts: list[RenderableType] = [table]
    if view.next_lesson_at:
        parts.append(Text(f"Next scheduled lesson: {iso(Moment(view.next_lesson_at, view.timezone))}"))
    if view.badges:
        parts.append(Text("Badges: " + ", ".join(view.badges)))
    parts.append(markdown("_What your manager sees:_ " + view.manager_sees))
    parts.append(keys.row(view.buttons))
    return Group(*parts)


@renders(SettingsForm)
def _settings(form: SettingsForm, keys: Keys) -> RenderableType:
    days = ", ".join(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][int(d) - 1] for d in form.days)
    lines = [
        f"Days: {days}", f"Window: {form.window_start}–{form.window_end} ({form.timezone})",
        f"Lessons per day: {form.lessons_per_day}", f"Formats first: {', '.join(form.formats) or 'any'}",
        f"Goal role: {form.goal_role or '—'}", f"Interests: {', '.join(form.interests) or '—'}",
        f"Peers may see my name: {'yes' if form.show_name_to_peers else 'no'}",
        f"Shout-outs: {'yes' if form.shoutout_opt_in else 'no'}",
    ]
    if form.is_manager:
        lines.append(f"Weekly team digest: {'yes' if form.digest_opt_in else 'no'}")
    edit = Button("Change settings", "edit_settings", {})
    keys.buttons["s"] = edit
    return Panel(Group(*(Text(line) for line in lines), Text("[s] Change settings", style="bold cyan")),
                 title="Your settings", title_align="left")
