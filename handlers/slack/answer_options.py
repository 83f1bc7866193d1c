"""A question's answer options in Block Kit, readable in full on a phone.

Slack shows a button on one line and cuts its label well short of the 75 characters it accepts (on a phone
after about 30), so a question whose options are longer is shown as a numbered list of the full option
texts, followed by one short button per option ("1", "2", …). One press still answers, and each button
carries the same value as before (the delivery and the option's index), so the answer recorded is the
option the person chose whichever label they read. A screen reader reads each button's accessibility label
("Answer 2: …the option's text…"). Questions whose options are all short keep the options as the buttons.
"""

from __future__ import annotations

from bot.replies import Button
from handlers.slack.blocks import BUTTON_TEXT, Block, actions, button_rows, coach_button, sections
from handlers.slack.mrkdwn import clip

LONG_OPTION = 30
"""Characters beyond which Slack's phone apps cut a button's label (it never wraps one)."""


def option_blocks(options: list[Button]) -> list[Block]:
    """The answer options: as buttons when every text fits on one, else listed in full above numbered
    buttons."""
    if all(len(option.label) <= LONG_OPTION for option in options):
        return button_rows(options)
    listed = "\n".join(f"**{number}.** {option.label}" for number, option in enumerate(options, 1))
    return [*sections(listed), *actions(_numbered(option, index) for index, option in enumerate(options))]


def _numbered(option: Button, index: int) -> dict[str, object]:
    element = coach_button(Button(str(index + 1), option.action, option.value, option.style), index)
    element["accessibility_label"] = clip(f"Answer {index + 1}: {option.label}", BUTTON_TEXT)
    return element
