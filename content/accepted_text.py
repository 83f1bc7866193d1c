"""The text the coach accepts, decided once for every input: Unicode text without control characters,
except tab and line breaks.

Control characters mean nothing in a name, an email, a lesson or a chat message, and some break things on
the way (PostgreSQL refuses NUL in text; terminals and spreadsheets act on others). So at the edges:
- what people and other systems send at run time — Slack and Teams messages, commands, button values and
  forms, `POST /api/triggers` bodies — has them removed (`accepted`, `accepted_json`) before anything reads it;
- files an admin maintains — the org chart CSV, content packs — are refused with FILE:LINE
  (`control_lines`), since the admin can fix the file and a silently changed name would surprise them.
"""

from __future__ import annotations

import re
from typing import Any

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""C0 controls but tab, line feed and carriage return; DEL; C1 controls."""


def accepted(text: str) -> str:
    """`text` without the control characters the coach does not accept."""
    return CONTROL.sub("", text)


def accepted_json(value: Any) -> Any:
    """A parsed JSON document with `accepted` applied to every string in it, keys included."""
    if isinstance(value, str):
        return accepted(value)
    if isinstance(value, dict):
        return {accepted(k) if isinstance(k, str) else k: accepted_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [accepted_json(item) for item in value]
    return value


def control_lines(text: str) -> list[tuple[int, str]]:
    """Each line (numbered from 1) holding a control character the coach does not accept, with the first
    such character (as U+XXXX), so an admin can find and fix every one at once."""
    found: dict[int, str] = {}
    for match in CONTROL.finditer(text):
        found.setdefault(text.count("\n", 0, match.start()) + 1, f"U+{ord(match.group()):04X}")
    return sorted(found.items())


REFUSED = "the line holds a control character ({}): remove it (only tab and line breaks are accepted)"
