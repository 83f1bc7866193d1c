"""Read a pack folder (pack.yaml + Markdown lessons with YAML front matter) into specs and problems."""

from __future__ import annotations

import re
from pathlib import Path

from content import limits
from content.body import check_body
from content.fields import FieldReader
from content.located_yaml import LocatedDict, LocatedList, YamlSyntaxError, load
from content.model import CompetencySpec, LessonSpec, Option, PackSpec, Problem, QuestionSpec, RoleSpec
from content.phrasing import read_phrasing
from content.search_terms import words
from content.synonyms import read_synonyms

LESSON_FIELDS = (
    "id", "title", "competency", "level", "format", "minutes", "requires", "tags", "asks", "media",
    "questions", "prompt",
)
QUESTION_FIELDS = ("id", "ask", "options", "explain")
OPTION_FIELDS = ("text", "correct")
PACK_FIELDS = ("id", "title", "competencies", "roles", "description")
COMPETENCY_FIELDS = ("id", "name", "description")
ROLE_FIELDS = ("id", "name", "requires", "description")
NOT_LESSONS = {"readme.md", "changelog.md", "license.md"}
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def read_pack(folder: Path, problems: list[Problem]) -> PackSpec | None:
    """Read one pack; every problem found is appended, and the pack is returned if pack.yaml parsed."""
    manifest = folder / "pack.yaml"
    text = _read_text(manifest, problems)
    data = None if text is None else _load_yaml_file(manifest, text, 0, problems)
    if data is None:
        return None
    fields = FieldReader(data, manifest, problems, allowed=PACK_FIELDS, what="pack field")
    pack = PackSpec(id=fields.identifier("id", limit=limits.ID), title=fields.text("title", limit=200),
                    path=folder, line=fields.line("id"))
    pack.competencies = [c for c in _items(fields, "competencies", _read_competency) if c]
    pack.roles = [r for r in _items(fields, "roles", _read_role) if r]
    pack.synonyms = read_synonyms(folder, problems)
    pack.phrasing = read_phrasing(folder, problems)
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() in NOT_LESSONS or not path.is_file():
            continue
        lesson = read_lesson(path, problems)
        if lesson is not None:
            lesson.pack_id = pack.id
            pack.lessons.append(lesson)
    return pack


def read_lesson(path: Path, problems: list[Problem]) -> LessonSpec | None:
    """Read one lesson file; None when its front matter cannot be parsed at all."""
    text = _read_text(path, problems)
    if text is None:
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(path, 1, "a lesson starts with YAML front matter between two '---' lines"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(path, 1, "the front matter is not closed by a '---' line"))
        return None
    data = _load_yaml_file(path, "\n".join(lines[1:end]), 1, problems)
    if data is None:
        return None
    body = "\n".join(lines[end + 1:]).strip()
    fields = FieldReader(data, path, problems, offset=1, allowed=LESSON_FIELDS, what="lesson field")
    lesson_id = fields.identifier("id", limit=limits.ID)
    lesson = LessonSpec(
        id=lesson_id,
        title=fields.text("title", required=False, limit=limits.TITLE, single_line=True)
        or _title_from(body, lesson_id),
        competency=fields.text("competency"),
        level=fields.integer("level", choices=limits.LEVELS),
        format=_read_format(fields),
        minutes=fields.integer("minutes", choices=range(1, limits.MINUTES_MAX + 1), default=2),
        body=body,
        file=path,
        line=fields.line("id"),
        requires=fields.string_list("requires", item_limit=limits.ID),
        tags=fields.string_list("tags", item_limit=limits.TAG),
        asks=_read_asks(fields),
        media=fields.text("media", required=False, limit=limits.MEDIA_URL, single_line=True) or None,
        prompt=fields.text("prompt", required=False, limit=limits.PROMPT) or None,
        lines={key: fields.line(key) for key in ("competency", "requires", "level")},
    )
    check_body(path, body, lines[end + 1:], end + 2, problems)
    _check_format_fields(lesson, fields)
    if lesson.graded:
        lesson.questions = [q for q in _items(fields, "questions", _read_question) if q]
        keys = [q.key for q in lesson.questions]
        for key in {k for k in keys if keys.count(k) > 1}:
            fields.report_key("questions", f"two questions have the id '{key}'")
    return lesson


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file as UTF-8 text, or a problem a person can act on (e.g. a file saved in a Windows code page)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, "the file is not UTF-8 text: save it as UTF-8 (your editor's "
                                            "'Save with encoding' option)"))
    except OSError as exc:
        problems.append(Problem(path, 1, f"cannot read the file: {exc.strerror or exc}"))
    return None


def _load_yaml_file(path: Path, text: str, offset: int, problems: list[Problem]) -> LocatedDict | None:
    try:
        data = load(text, first_line=offset + 1)
    except YamlSyntaxError as exc:
        problems.append(Problem(path, exc.line, str(exc)))
        return None
    if not isinstance(data, LocatedDict):
        problems.append(Problem(path, 1 + offset, "expected a YAML mapping of fields"))
        return None
    return data


def _items(fields: FieldReader, key: str, read_one):  # type: ignore[no-untyped-def]
    value = fields.data.get(key)
    if value is None:
        fields.report(fields.data.line, f"'{key}' is missing")
        return []
    if not isinstance(value, LocatedList):
        fields.report_key(key, f"'{key}' must be a list")
        return []
    return [read_one(fields, item, value.line_of(i), i) for i, item in enumerate(value)]


def _read_competency(fields: FieldReader, item: object, line: int, _index: int) -> CompetencySpec | None:
    child = fields.child(item, what="competency", allowed=COMPETENCY_FIELDS, line=line)
    if child is None:
        return None
    return CompetencySpec(
        id=child.identifier("id", limit=limits.ID),
        name=child.text("name", limit=limits.COMPETENCY_NAME, single_line=True),
        description=child.text("description", required=False, limit=500),
        line=line + fields.offset,
    )


def _read_role(fields: FieldReader, item: object, line: int, _index: int) -> RoleSpec | None:
    child = fields.child(item, what="role", allowed=ROLE_FIELDS, line=line)
    if child is None:
        return None
    role = RoleSpec(id=child.identifier("id", limit=limits.ID),
                    name=child.text("name", limit=limits.COMPETENCY_NAME, single_line=True),
                    line=line + fields.offset)
    requires = child.data.get("requires", {})
    if not isinstance(requires, LocatedDict):
        child.report_key("requires", "'requires' maps competency ids to levels 1–3, e.g. {infosec: 2}")
        return role
    for competency, level in requires.items():
        if isinstance(level, bool) or level not in limits.LEVELS:
            child.report(requires.line_of(competency),
                         f"role '{role.id}' requires '{competency}' at level {level!r}; levels are 1–3")
            continue
        role.requires[str(competency)] = level
    return role


def _read_question(fields: FieldReader, item: object, line: int, index: int) -> QuestionSpec | None:
    child = fields.child(item, what="question", allowed=QUESTION_FIELDS, line=line)
    if child is None:
        return None
    key = child.identifier("id", limit=limits.ID) if "id" in child.data else f"q{index + 1}"
    question = QuestionSpec(
        key=key,
        ask=child.text("ask", limit=limits.QUESTION),
        options=[],
        explain=child.text("explain", required=False, limit=limits.EXPLAIN),
    )
    raw = child.data.get("options")
    if not isinstance(raw, LocatedList):
        child.report(child.data.line, "a question needs 'options': a list of answers")
        return question
    for i, option in enumerate(raw):
        question.options.append(_read_option(child, option, raw.as_written(i), raw.line_of(i)))
    if not limits.OPTIONS_MIN <= len(question.options) <= limits.OPTIONS_MAX:
        child.report_key("options", f"a question needs {limits.OPTIONS_MIN}–{limits.OPTIONS_MAX} options, "
                                    f"this one has {len(question.options)}")
    correct = sum(option.correct for option in question.options)
    if correct != 1:
        child.report_key("options", f"exactly one option must be marked correct: true, found {correct}")
    texts = [option.text for option in question.options]
    if len(set(texts)) != len(texts):
        child.report_key("options", "two options have the same text")
    return question


def _read_option(question: FieldReader, raw: object, written: str | None, line: int) -> Option:
    """An option, a plain button label or `{text: …, correct: true}`; `written` is a plain one as typed."""
    if isinstance(raw, LocatedDict):
        fields = FieldReader(raw, question.file, question.problems, question.offset, OPTION_FIELDS,
                             "option field")
        text = fields.text("text", limit=limits.BUTTON_LABEL, single_line=True)
        correct = raw.get("correct", False)
        if not isinstance(correct, bool):
            fields.report_key("correct", "'correct' must be true or false")
            correct = False
        return Option(text, correct)
    if written is None:
        question.report(line, "an option is text, or {text: …, correct: true}")
        return Option("")
    text = written.strip()
    if "\n" in text:
        question.report(line, "an option is one line (it becomes a button label)")
    if len(text) > limits.BUTTON_LABEL:
        question.report(line, f"option is {len(text)} characters; a button label takes at most "
                              f"{limits.BUTTON_LABEL}")
    if not text:
        question.report(line, "an option is empty")
    return Option(text)


def _read_asks(fields: FieldReader) -> list[str]:
    """`asks:`, a list of questions as employees would type them; each problem at the item's own line."""
    value = fields.data.get("asks")
    if value is None:
        return []
    if not isinstance(value, LocatedList):
        fields.report_key("asks", "'asks' is a list of questions, one per line starting with '- '")
        return []
    if len(value) > limits.ASKS_MAX:
        fields.report_key("asks", f"'asks' has {len(value)} questions; at most {limits.ASKS_MAX} help search")
    asks = []
    for i in range(len(value)):
        written = value.as_written(i)
        text = (written or "").strip()
        line = value.line_of(i)
        if written is None or not text or "\n" in text:
            fields.report(line, f"an ask is one question on one line, not {value[i]!r}")
        elif len(text) > limits.ASK:
            fields.report(line, f"an ask is {len(text)} characters; at most {limits.ASK}")
        elif not words(text):
            fields.report(line, f"'{text}' has no word that search uses (words like 'the' or 'how' are left out)")
        else:
            asks.append(text)
    return asks


def _read_format(fields: FieldReader) -> str:
    value = fields.text("format")
    if value and value not in limits.FORMATS:
        fields.report_key("format", f"format '{value}' is not one of {', '.join(limits.FORMATS)}")
    return value


def _check_format_fields(lesson: LessonSpec, fields: FieldReader) -> None:
    if lesson.format == "reflection":
        if "questions" in fields.data:
            fields.report_key("questions", "a reflection lesson has 'prompt:' instead of 'questions:'")
        if not lesson.prompt:
            fields.report(fields.data.line, "a reflection lesson needs a 'prompt:' (the open question)")
    elif lesson.prompt:
        fields.report_key("prompt", "only reflection lessons have a 'prompt:'; use 'questions:'")
    if lesson.format == "video" and not lesson.media:
        fields.report(fields.data.line, "a video lesson needs 'media:' with the video's URL")
    if lesson.media and not re.match(r"^https?://\S+$", lesson.media):
        fields.report_key("media", f"media must be an http(s) URL, not {lesson.media!r}")


def _title_from(body: str, lesson_id: str) -> str:
    match = HEADING.search(body)
    if match:
        return match.group(1)[: limits.TITLE]
    return lesson_id.replace("-", " ").capitalize()


def declared_pack_id(folder: Path) -> str | None:
    """The id that `folder/pack.yaml` declares, or None when there is no readable pack there."""
    problems: list[Problem] = []
    text = _read_text(folder / "pack.yaml", problems) if (folder / "pack.yaml").is_file() else None
    data = None if text is None else _load_yaml_file(folder / "pack.yaml", text, 0, problems)
    return None if data is None else data.as_written("id")
