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
    """A parsed JSON document with `accepted` applied to every string in it, keys included — in place, and
    without recursion, so a document as deep as the JSON parser reads is cleaned too."""
    if isinstance(value, str):
        return accepted(value)
    stack = [value] if isinstance(value, dict | list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, item in items:
                node[accepted(key) if isinstance(key, str) else key] = _cleaned(item, stack)
        else:
            for index, item in enumerate(node):
                node[index] = _cleaned(item, stack)
    return value


def _cleaned(item: Any, stack: list[Any]) -> Any:
    """A string cleaned; a container put on `stack` to be cleaned in turn; anything else as it is."""
    if isinstance(item, str):
        return accepted(item)
    if isinstance(item, dict | list):
        stack.append(item)
    return item


def control_lines(text: str) -> list[tuple[int, str]]:
    """Each line (numbered from 1) holding a control character the coach does not accept, with the first
    such character (as U+XXXX), so an admin can find and fix every one at once."""
    found: dict[int, str] = {}
    for match in CONTROL.finditer(text):
        found.setdefault(text.count("\n", 0, match.start()) + 1, f"U+{ord(match.group()):04X}")
    return sorted(found.items())


REFUSED = "the line holds a control character ({}): remove it (only tab and line breaks are accepted)"
