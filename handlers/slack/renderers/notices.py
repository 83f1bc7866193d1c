"""Plain messages, and the settings form shown as a message where no modal can open (typed in the DM)."""

from __future__ import annotations

from bot.replies import Button, Notice, SettingsForm
from handlers.slack.blocks import Block, button_rows, renderer, sections

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@renderer(Notice)
def notice_blocks(notice: Notice) -> list[Block]:
    return [*sections(notice.text), *button_rows(notice.buttons)]


@renderer(SettingsForm)
def settings_summary_blocks(form: SettingsForm) -> list[Block]:
    """Slack opens a modal only from a click or a slash command; a typed `settings` gets this button."""
    days = ", ".join(DAY_NAMES[int(d) - 1] for d in form.days if d in "1234567")
    per_day = "one lesson" if form.lessons_per_day == 1 else f"{form.lessons_per_day} lessons"
    text = (f"**Your settings:** {per_day} a day on {days or 'no days'}, between {form.window_start} and "
            f"{form.window_end} ({form.timezone}).")
    return [*sections(text), *button_rows([Button("Change settings", "settings", {}, "primary")])]
