"""What a lesson's Markdown may hold: the subset that both Slack mrkdwn and Teams TextBlocks can show.

Slack section text and Teams TextBlocks render bold, italics, code, lists, links and (as the handlers
convert them) headings. They cannot render tables, images or HTML, and a link they show must be one a
person can safely open: the validator refuses the rest, each at its own line, so that what an author
previews in a Markdown editor is what a learner sees in chat.
"""

from __future__ import annotations

import re
from pathlib import Path

from content import limits
from content.model import Problem

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`+[^`\n]*`+")
TABLE_ROW = re.compile(r"^\s*\|.*\|")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
IMAGE = re.compile(r"!\[[^\]\n]*\]\(")
HTML = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(\s[^<>\n]*)?/?>")
LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)")
"""`[label](url)`'s URL, which may hold balanced parentheses (as the Slack converter reads it)."""
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*)>")
SAFE_LINK = re.compile(r"^(https?://\S+|mailto:\S+)$", re.IGNORECASE)


def check_body(file: Path, body: str, lines: list[str], first_line: int, problems: list[Problem]) -> None:
    """Append a problem for everything in the lesson text (`lines`, the first being line `first_line` of
    `file`) that a chat message cannot show: size, tables, images, HTML and unsafe links."""
    if not body:
        problems.append(Problem(file, first_line, "the lesson text after the front matter is empty"))
        return
    if len(body) > limits.BODY:
        problems.append(Problem(file, first_line,
                                f"the lesson text is {len(body)} characters; the limit is {limits.BODY}"))
    for start, size in _paragraphs(lines, first_line):
        if size > limits.SECTION:
            problems.append(Problem(file, start,
                                    f"this paragraph is {size} characters; a chat message section holds at "
                                    f"most {limits.SECTION} — split it with a blank line"))
    previous = ""
    for number, line in _prose(lines, first_line):
        problems.extend(Problem(file, number, message) for message in _line_problems(line, previous))
        previous = line


def _prose(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code blocks, with code spans blanked: code is shown as
    typed, so `<br>` or a pipe inside it is fine."""
    prose = []
    in_code = False
    for number, line in enumerate(lines, start=first_line):
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            prose.append((number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)))
    return prose


def _line_problems(line: str, previous: str) -> list[str]:
    found = []
    starts_table = TABLE_ROW.match(line) and not TABLE_ROW.match(previous)
    if starts_table or (TABLE_RULE.match(line) and "|" in previous and not TABLE_ROW.match(previous)):
        found.append("a Markdown table cannot be shown in Slack or Teams messages — use a list instead")
    if IMAGE.search(line):
        found.append("an image cannot be shown inside the lesson text — put its link in 'media:' instead")
    tag = HTML.search(line)
    if tag:
        found.append(f"HTML such as {tag.group(0)[:40]!r} is not shown by Slack or Teams — use Markdown")
    for url in [*LINK.findall(line), *AUTOLINK.findall(line)]:
        if not SAFE_LINK.match(url):
            found.append(f"a link must start with https://, http:// or mailto:, not {url[:60]!r}")
    return found


def _paragraphs(lines: list[str], first_line: int) -> list[tuple[int, int]]:
    """(first line number, characters) of each blank-line-separated paragraph."""
    found: list[tuple[int, int]] = []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        if found and number > first_line and lines[number - first_line - 1].strip():
            start, size = found[-1]
            found[-1] = (start, size + len(line) + 1)
        else:
            found.append((number, len(line)))
    return found
