"""`settings` in Teams: the SettingsForm as a card form, and its submitted values read back.

Both directions live here so the input ids and their parsing can't drift apart. Teams sends every input
as a string (multi-selects comma-separated, toggles "true"/"false"); `submitted_settings` turns them into
the values `Coach.save_settings` takes, which checks them.
"""

from __future__ import annotations

from typing import Any

from bot.lessons.preferences import SettingsError
from bot.replies import SETTINGS_FLAGS, Button, Choice, SettingsForm
from handlers.msteams.adaptive import Card, card, execute, heading, renderer, subtle

SAVE = "settings.save"
DAYS = (("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri"), ("6", "Sat"), ("7", "Sun"))
LISTS = ("days", "formats", "interests")
TEXTS = ("window_start", "window_end", "lessons_per_day", "timezone", "goal_role", "away_until")
LABELS = {
    "days": "Days", "window_start": "From", "window_end": "Until", "lessons_per_day": "Lessons per day",
    "timezone": "Time zone", "away_until": "Away until (your last day off; empty when you are not away)",
    "formats": "Formats", "goal_role": "Goal role", "interests": "Interests",
    **SETTINGS_FLAGS,
}


def _label(field: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": LABELS[field], "weight": "Bolder", "spacing": "Medium", "wrap": True}


def _choices(choices: list[Choice]) -> list[dict[str, str]]:
    return [{"title": c.label, "value": c.value} for c in choices]


def _multi(field: str, choices: list[dict[str, str]], chosen: list[str]) -> list[dict[str, Any]]:
    return [_label(field), {"type": "Input.ChoiceSet", "id": field, "isMultiSelect": True, "style": "expanded",
                            "choices": choices, "value": ",".join(chosen)}]


@renderer(SettingsForm)
def settings_form(form: SettingsForm) -> Card:
    body: list[dict[str, Any]] = [heading("Your lesson settings")]
    body += _multi("days", [{"title": name, "value": value} for value, name in DAYS], list(form.days))
    body += [
        _label("window_start"), {"type": "Input.Time", "id": "window_start", "value": form.window_start},
        _label("window_end"), {"type": "Input.Time", "id": "window_end", "value": form.window_end},
        _label("lessons_per_day"),
        {"type": "Input.ChoiceSet", "id": "lessons_per_day", "style": "compact", "value": str(form.lessons_per_day),
         "choices": [{"title": str(n), "value": str(n)} for n in range(1, 6)]},
        _label("timezone"),
        {"type": "Input.Text", "id": "timezone", "value": form.timezone, "placeholder": "e.g. Europe/Paris"},
    ]
    body += [_label("away_until"), {"type": "Input.Date", "id": "away_until",
                                    "value": form.away_until.isoformat() if form.away_until else ""}]
    body += _multi("formats", _choices(form.format_choices), form.formats)
    body += [_label("goal_role"),
             {"type": "Input.ChoiceSet", "id": "goal_role", "style": "compact", "value": form.goal_role or "",
              "choices": [{"title": "No goal beyond my role", "value": ""}, *_choices(form.role_choices)]}]
    body += _multi("interests", _choices(form.competency_choices), form.interests)
    body += [{"type": "Input.Toggle", "id": flag, "title": label, "valueOn": "true", "valueOff": "false",
              "value": "true" if getattr(form, flag) else "false", "wrap": True} for flag, label in form.flags.items()]
    body.append(subtle("Lessons arrive only on the days and inside the hours above, in your time zone."))
    return card(body, [execute(Button("Save", SAVE, {}, "primary"))])


def submitted_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The submitted card's inputs as `save_settings` values. An emptied multi-select arrives missing or
    empty and means "none"; a missing single field keeps its saved value."""
    values: dict[str, Any] = {}
    for field in LISTS:
        raw = data.get(field)
        values[field] = [part.strip() for part in raw.split(",") if part.strip()] if isinstance(raw, str) else []
    for field in TEXTS:
        if isinstance(data.get(field), str):
            values[field] = data[field].strip()
    for flag in SETTINGS_FLAGS:
        if flag in data:
            values[flag] = str(data[flag]).lower() == "true"
    return values


def settings_problem(error: SettingsError) -> str:
    """What to correct, named as the form labels it."""
    return f"Please check **{LABELS.get(error.field, error.field)}**: {error} Nothing was changed."


def saved_form(form: SettingsForm, saved: str) -> Card:
    """The form as saved, with what was saved said under its heading (the card a Save is answered with)."""
    made = settings_form(form)
    made["body"].insert(1, {"type": "TextBlock", "text": f"✅ {saved}", "wrap": True, "color": "Good"})
    return made
