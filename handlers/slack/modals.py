"""Modals: the settings form (`/learn settings`) and a reflection's free-text answer.

Each input's block id is the settings field it edits, so a `SettingsError(field)` from the coach lands on
that field (`response_action: errors`). Slack's limits for modals: title 24 characters, 100 blocks,
checkboxes 10 options, a select 100 options or 100 groups of 100 (`_listed` groups longer lists).
"""

from __future__ import annotations

import json
from typing import Any

from bot.replies import SETTINGS_FLAGS, Choice, SettingsForm
from handlers.slack.blocks import Block, plain, sections
from handlers.slack.mrkdwn import clip

SETTINGS_CALLBACK = "coach.settings"
REFLECTION_CALLBACK = "coach.reflection"
NO_GOAL = "-"
SELECT_OPTIONS = 100
"""Options in a select, and option groups in one, that Slack takes."""
OPTION_TEXT = 75
GROUP_LABEL = 75
GROUP_END = 35
"""Characters of each end of a group's label ("first – last")."""
DAYS = [Choice(str(n), name) for n, name in enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), start=1)]
PRIVACY_BLOCK = "privacy"
REFLECTION_BLOCK = "reflection"
REFLECTION_MAX = 3000


def settings_modal(form: SettingsForm) -> dict[str, Any]:
    """The settings form with the learner's current values filled in."""
    role_choices = [Choice(NO_GOAL, "No goal — my own role"), *form.role_choices]
    blocks = [
        _input("days", "Days for lessons", _checkboxes(DAYS, list(form.days))),
        _input("window_start", "Not before", {"type": "timepicker", "initial_time": form.window_start}),
        _input("window_end", "Not after", {"type": "timepicker", "initial_time": form.window_end}),
        _input("timezone", "Time zone", {"type": "plain_text_input", "initial_value": form.timezone,
                                         "max_length": 64},
               hint="An IANA name such as Europe/Paris; it starts as the org chart's, or as your Slack "
                    "profile's when the org chart has none."),
        _input("lessons_per_day", "Lessons per day",
               _select([Choice(str(n), str(n)) for n in range(1, 6)], str(form.lessons_per_day))),
        _input("formats", "Formats I prefer", _checkboxes(form.format_choices, form.formats), optional=True),
        _input("goal_role", "Goal role", _select(role_choices, form.goal_role or NO_GOAL), optional=True,
               hint="Lessons work towards this role's targets (also `/learn goal <role>`)."),
        *([_input("interests", "Interests", _multi_select(form.competency_choices, form.interests), optional=True,
                  hint="Type to find a competency." if len(form.competency_choices) > SELECT_OPTIONS else None)]
          if form.competency_choices else []),
        _input("away_until", "Away until", {"type": "datepicker", **({"initial_date": form.away_until.isoformat()}
                                                                  if form.away_until else {})},
               optional=True, hint="Your last day off: no scheduled lessons until then, and reviews wait too."),
        _input(PRIVACY_BLOCK, "Sharing", _checkboxes([Choice(f, label) for f, label in form.flags.items()],
                                                      [f for f in form.flags if getattr(form, f)]), optional=True),
    ]
    return {"type": "modal", "callback_id": SETTINGS_CALLBACK, "title": plain("Learning settings", 24),
            "submit": plain("Save", 24), "close": plain("Cancel", 24), "blocks": blocks}


def settings_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted modal as `Coach.save_settings` values (only the fields the modal had)."""
    state = _state(view)
    values: dict[str, Any] = {}
    if "days" in state:
        values["days"] = _selected(state["days"])
    for field in ("window_start", "window_end"):
        if isinstance(state.get(field), dict) and state[field].get("selected_time"):
            values[field] = state[field]["selected_time"]
    if "timezone" in state:
        values["timezone"] = str(state["timezone"].get("value") or "").strip()
    if "lessons_per_day" in state:
        chosen = _selected(state["lessons_per_day"])
        values["lessons_per_day"] = chosen[0] if chosen else None
    if "formats" in state:
        values["formats"] = _selected(state["formats"])
    if "goal_role" in state:
        goal = _selected(state["goal_role"])
        values["goal_role"] = goal[0] if goal and goal[0] != NO_GOAL else None
    if "interests" in state:
        values["interests"] = _selected(state["interests"])
    if "away_until" in state:
        values["away_until"] = state["away_until"].get("selected_date")  # None: not away
    if PRIVACY_BLOCK in state:
        chosen = set(_selected(state[PRIVACY_BLOCK]))
        shown = _shown_flags(view)
        values.update({flag: flag in chosen for flag in SETTINGS_FLAGS if flag in shown})
    return values


def settings_error_block(field: str) -> str:
    """The modal block that shows an error about this settings field."""
    return PRIVACY_BLOCK if field in SETTINGS_FLAGS else field


def reflection_modal(delivery_id: int, prompt: str, channel: str | None, ts: str | None) -> dict[str, Any]:
    """Free text for a reflection lesson; the card it came from is remembered to update it afterwards."""
    metadata = json.dumps({"d": delivery_id, "c": channel, "ts": ts}, separators=(",", ":"))
    element = {"type": "plain_text_input", "multiline": True, "max_length": REFLECTION_MAX, "min_length": 1}
    return {"type": "modal", "callback_id": REFLECTION_CALLBACK, "private_metadata": metadata,
            "title": plain("Your reflection", 24), "submit": plain("Save", 24), "close": plain("Cancel", 24),
            "blocks": [*sections(prompt), _input(REFLECTION_BLOCK, "Your thoughts", element,
                                                   hint="Only you can see it.")]}


def reflection_submission(view: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(metadata with delivery `d`, channel `c`, message `ts`; the text) of a submitted reflection."""
    try:
        metadata = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        metadata = {}
    entry = _state(view).get(REFLECTION_BLOCK, {})
    return (metadata if isinstance(metadata, dict) else {}), str(entry.get("value") or "")


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                    "element": {**element, "action_id": block_id}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": plain(choice.label, OPTION_TEXT), "value": choice.value}


def _checkboxes(choices: list[Choice], selected: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "checkboxes", "options": [_option(c) for c in choices]}
    initial = [_option(c) for c in choices if c.value in selected]
    if initial:
        element["initial_options"] = initial
    return element


def _select(choices: list[Choice], selected: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", **_listed(choices)}
    initial = [_option(c) for c in choices if c.value == selected]
    if initial:
        element["initial_option"] = initial[0]
    return element


def _multi_select(choices: list[Choice], selected: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_static_select", "placeholder": plain("Competencies", 150),
                               **_listed(choices)}
    initial = [_option(c) for c in choices if c.value in selected]
    if initial:
        element["initial_options"] = initial
    return element


def _listed(choices: list[Choice]) -> dict[str, Any]:
    """A select's choices: as options up to Slack's 100, beyond that in groups of up to 100 named by their
    first and last ("Accounts payable – Fraud"), as the team views group people, so every one is there to
    scroll to or find by typing (a select filters as one types). Slack takes 100 groups: 10,000 choices."""
    if len(choices) <= SELECT_OPTIONS:
        return {"options": [_option(c) for c in choices]}
    groups = [choices[at:at + SELECT_OPTIONS] for at in range(0, len(choices), SELECT_OPTIONS)][:SELECT_OPTIONS]
    return {"option_groups": [{"label": plain(f"{clip(group[0].label, GROUP_END)} – {clip(group[-1].label, GROUP_END)}",
                                              GROUP_LABEL),
                               "options": [_option(c) for c in group]} for group in groups]}


def _state(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """block id -> the one element's state; anything malformed reads as absent."""
    values = view.get("state", {}).get("values", {}) if isinstance(view.get("state"), dict) else {}
    state = {}
    for block_id, elements in (values.items() if isinstance(values, dict) else []):
        if isinstance(elements, dict) and isinstance(elements.get(block_id), dict):
            state[block_id] = elements[block_id]
    return state


def _selected(entry: dict[str, Any]) -> list[str]:
    options = entry.get("selected_options")
    if options is None and isinstance(entry.get("selected_option"), dict):
        options = [entry["selected_option"]]
    return [str(o["value"]) for o in _list(options) if isinstance(o, dict) and "value" in o]


def _shown_flags(view: dict[str, Any]) -> set[str]:
    """The flags the submitted modal offered (the digest only to managers): the others stay as they are."""
    for block in _list(view.get("blocks")):
        if isinstance(block, dict) and block.get("block_id") == PRIVACY_BLOCK:
            element = block.get("element") if isinstance(block.get("element"), dict) else {}
            return {o.get("value") for o in _list(element.get("options")) if isinstance(o, dict)}
    return set(SETTINGS_FLAGS)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
