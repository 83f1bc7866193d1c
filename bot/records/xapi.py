"""Learning records as xAPI 1.0.3 statements.

- `answered`: a check question (result `success` and `response`: the chosen option's id) or a reflection
  (result `completion` only: its text stays the learner's);
- `experienced`: a lesson's text was read (a lesson or remediation delivery that was answered);
- `mastered`: a level of a competency was reached (the level-up badge).

Statement ids are UUIDv5 of what the statement records (the delivery or the badge), in a namespace derived
from `COACH_XAPI_BASE`, so exporting twice yields the same statements and an LRS stores them once.
"""

from __future__ import annotations

import re
import string
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from store.records import AnswerRecord, BadgeRecord

VERSION = "1.0.3"
VERBS = {
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "mastered": "http://adlnet.gov/expapi/verbs/mastered",
}
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"
LANGUAGE = "en-US"
TAUGHT = ("lesson", "remediation")


class Statements:
    """Builds the statements of one installation (its base IRI and id namespace)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.base)

    def statement_id(self, verb: str, key: str) -> str:
        return str(uuid.uuid5(self.namespace, f"{verb}/{key}"))

    def iri(self, *parts: str | int) -> str:
        return "/".join([self.base, *(quote(str(p), safe="") for p in parts)])

    def for_answer(self, record: AnswerRecord) -> list[dict[str, Any]]:
        """`answered`, and `experienced` too when the delivery showed the lesson's text."""
        statements = [self._answered(record)]
        if record.kind in TAUGHT:
            statements.append(self._statement(
                "experienced", str(record.delivery_id), record.email, record.name,
                self._activity(self.iri("lessons", record.lesson_id), LESSON, record.lesson_title),
                record.answered_at, context=self._context(record, parent=False),
            ))
        return statements

    def for_badge(self, record: BadgeRecord) -> dict[str, Any]:
        competency, _, level = record.key.partition(":")
        name = f"{record.competency_name or competency} — level {level}"
        return self._statement("mastered", str(record.id), record.email, record.name,
                               self._activity(self.iri("competencies", competency, "levels", level), OBJECTIVE, name),
                               record.awarded_at, result={"success": True, "completion": True})

    def _answered(self, record: AnswerRecord) -> dict[str, Any]:
        if record.question_key is None or not record.options:
            activity = self._activity(self.iri("lessons", record.lesson_id, f"v{record.lesson_version}", "reflection"),
                                      INTERACTION, record.lesson_title)
            activity["definition"]["interactionType"] = "long-fill-in"
            return self._statement("answered", str(record.delivery_id), record.email, record.name, activity,
                                   record.answered_at, result={"completion": True},
                                   context=self._context(record, parent=True))
        ids = choice_ids(len(record.options))
        activity = self._activity(
            self.iri("lessons", record.lesson_id, f"v{record.lesson_version}", "questions", record.question_key),
            INTERACTION, record.question or record.lesson_title)
        activity["definition"].update({
            "interactionType": "choice",
            "correctResponsesPattern": [ids[i] for i, o in enumerate(record.options) if o.get("correct")],
            "choices": [{"id": ids[i], "description": {LANGUAGE: str(o.get("text", ""))}}
                        for i, o in enumerate(record.options)],
        })
        result: dict[str, Any] = {"success": bool(record.correct), "completion": True}
        if record.choice is not None and 0 <= record.choice < len(ids):
            result["response"] = ids[record.choice]
        return self._statement("answered", str(record.delivery_id), record.email, record.name, activity,
                               record.answered_at, result=result, context=self._context(record, parent=True))

    def _statement(self, verb: str, key: str, email: str, name: str, activity: dict[str, Any], when: datetime,
                   *, result: dict[str, Any] | None = None, context: dict[str, Any] | None = None) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "id": self.statement_id(verb, key),
            "actor": {"objectType": "Agent", "name": name, "mbox": f"mailto:{email}"},
            "verb": {"id": VERBS[verb], "display": {LANGUAGE: verb}},
            "object": activity,
            "timestamp": when.isoformat(),
            "version": VERSION,
        }
        if result is not None:
            statement["result"] = result
        if context is not None:
            statement["context"] = context
        return statement

    def _activity(self, iri: str, kind: str, name: str) -> dict[str, Any]:
        return {"objectType": "Activity", "id": iri, "definition": {"type": kind, "name": {LANGUAGE: name}}}

    def _context(self, record: AnswerRecord, *, parent: bool) -> dict[str, Any]:
        activities: dict[str, Any] = {
            "grouping": [self._activity(self.iri("competencies", record.competency), OBJECTIVE,
                                        record.competency_name)],
        }
        if parent:
            activities["parent"] = [self._activity(self.iri("lessons", record.lesson_id), LESSON, record.lesson_title)]
        context: dict[str, Any] = {"platform": f"learning-coach ({record.via})" if record.via else "learning-coach",
                                   "language": LANGUAGE, "contextActivities": activities}
        if record.mastery_after is not None:
            context["extensions"] = {self.iri("extensions", "mastery"): round(record.mastery_after, 4)}
        return context


def choice_ids(count: int) -> list[str]:
    """`a`, `b`, `c`… (then `o26`, `o27`… for very long option lists)."""
    letters = string.ascii_lowercase
    return [letters[i] if i < len(letters) else f"o{i}" for i in range(count)]


# --- validation against the spec's requirements (xAPI 1.0.3, part two, section 2.4) -------------------------

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
                  "version", "attachments"}
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def problems(statement: dict[str, Any]) -> list[str]:
    """Everything in the statement that the spec forbids or requires and is missing; [] when valid."""
    found = [f"unknown property {key!r}" for key in statement if key not in STATEMENT_KEYS]
    found += _uuid(statement.get("id"))
    found += _actor(statement.get("actor"))
    verb = statement.get("verb")
    if not isinstance(verb, dict) or not IRI.match(str(verb.get("id", ""))):
        found.append("verb.id must be an IRI")
    elif not _language_map(verb.get("display")):
        found.append("verb.display must be a language map")
    found += _object(statement.get("object"))
    timestamp = statement.get("timestamp")
    if not isinstance(timestamp, str) or not TIMESTAMP.match(timestamp):
        found.append("timestamp must be ISO 8601 with a time zone")
    found += _result(statement.get("result"))
    if "version" in statement and not str(statement["version"]).startswith("1.0."):
        found.append("version must be 1.0.x")
    return found


def _uuid(value: Any) -> list[str]:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        return ["id must be a UUID"]
    return [] if parsed.variant == uuid.RFC_4122 and str(parsed) == str(value).lower() else ["id must be a UUID"]


def _actor(actor: Any) -> list[str]:
    if not isinstance(actor, dict):
        return ["actor is required"]
    if actor.get("objectType", "Agent") not in ("Agent", "Group"):
        return ["actor.objectType must be Agent or Group"]
    ifis = [key for key in IFIS if key in actor]
    if len(ifis) != 1:
        return ["actor must have exactly one of mbox, mbox_sha1sum, openid, account"]
    if "mbox" in actor and not str(actor["mbox"]).startswith("mailto:"):
        return ["actor.mbox must be a mailto: IRI"]
    account = actor.get("account")
    if "account" in ifis and not (isinstance(account, dict) and account.get("homePage") and account.get("name")):
        return ["actor.account needs homePage and name"]
    return []


def _object(obj: Any) -> list[str]:
    if not isinstance(obj, dict):
        return ["object is required"]
    if obj.get("objectType", "Activity") == "Activity":
        found = [] if IRI.match(str(obj.get("id", ""))) else ["object.id must be an IRI"]
        definition = obj.get("definition", {})
        for key in ("name", "description"):
            if key in definition and not _language_map(definition[key]):
                found.append(f"object.definition.{key} must be a language map")
        return found
    return []


def _result(result: Any) -> list[str]:
    if result is None:
        return []
    if not isinstance(result, dict):
        return ["result must be an object"]
    found = []
    for key in ("success", "completion"):
        if key in result and not isinstance(result[key], bool):
            found.append(f"result.{key} must be true or false")
    if "response" in result and not isinstance(result["response"], str):
        found.append("result.response must be a string")
    return found


def _language_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and LANGUAGE_TAG.match(k) and isinstance(v, str) for k, v in value.items())
