"""Recognising one of a manager's reports in what was typed: a name, an @mention or an email.

Only the manager's own reports are searched, so "not one of yours" and "no such person" are the same
answer by construction: nothing typed here can tell whether someone else exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from store.models import ChatIdentity, Person

SLACK_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|([^>]*))?>$")
TEAMS_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE)
EMAIL = re.compile(r"^<?(?:mailto:)?([^@\s<>|]+@[^@\s<>|]+)(?:\|[^>]*)?>?$", re.IGNORECASE)


@dataclass
class Found:
    """The report meant, or the reports it could be (several), or none."""

    person: Person | None = None
    candidates: list[Person] = field(default_factory=list)


def find_report(typed: str, reports: list[Person], identities: list[ChatIdentity]) -> Found:
    """`<@U123>`, `<@U123|ben>`, `<at>Ben Buyer</at>`, `@ben`, `ben@example.com` or any part of a name."""
    text = typed.strip()
    slack = SLACK_MENTION.match(text)
    if slack:
        owner = {i.person_id for i in identities if i.platform == "slack" and i.external_id == slack.group(1)}
        return Found(next((p for p in reports if p.id in owner), None))
    email = EMAIL.match(text)
    if email:
        address = email.group(1).lower()
        return Found(next((p for p in reports if p.email.lower() == address), None))
    name = " ".join(TEAMS_MENTION.sub(r"\1", text).lstrip("@").split()).lower()
    if not name:
        return Found()
    exact = [p for p in reports if p.name.lower() == name]
    if len(exact) == 1:
        return Found(exact[0])
    words = name.split()
    partial = exact or [p for p in reports if _matches_words(p, words)]
    if len(partial) == 1:
        return Found(partial[0])
    return Found(candidates=sorted(partial, key=lambda p: p.name.lower()))


def _matches_words(person: Person, words: list[str]) -> bool:
    """Every typed word starts a word of the name (`ben`, `ben b`), or is the email's local part."""
    name_words = person.name.lower().split()
    local = person.email.lower().split("@")[0]
    if words == [local]:
        return True
    return all(any(part.startswith(word) for part in name_words) for word in words)
