"""The coach's Markdown subset as Slack mrkdwn, and long texts cut into pieces Slack accepts.

Replies and lessons are written in Markdown (`**bold**`, `_italic_`, `***both***`, `` `code` ``, fenced
code, bullet lists, `[links](url)`, `![images](url)` — shown as links —, `# headings`). Slack speaks its own
dialect and needs `&`, `<` and `>` escaped; this is the one place that converts. `split_text` keeps every
piece within a block's limit and breaks at a paragraph, then a line, then a word — never inside a word or
a link. A moment (`bot.replies.Moment`) becomes Slack's date token, which each client shows in its reader's
own zone and language, with a fallback in words in the learner's zone.
"""

from __future__ import annotations

import re

from bot.chat.dates import spoken
from bot.replies import Moment, Text

FENCE = "```"

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))+)\)")
"""`[label](url)`, or an image `![alt](url)` (Slack shows no inline images: it becomes a link to the image);
the URL may hold balanced parentheses, as CommonMark allows (Wikipedia's do)."""
_URL_CONTROL = str.maketrans({"|": "%7C", "<": "%3C", ">": "%3E"})
_BARE_URL = re.compile(r"\bhttps?://[^\s<>()]+")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)
_STRONG_EM = re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*|___(?=\S)(.+?)(?<=\S)___", re.S)
_BOLD = re.compile(r"\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*|__(?=[^\s_])(.+?)(?<=[^\s_])__", re.S)
"""Bold whose text neither starts nor ends with the other marker, so `***x** y*` nests as italic around bold."""
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HOLD = re.compile("\x00(\\d+)\x00")
_WORD = re.compile(r"<[^<>\n]*>\S*|\S+")
_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|<>]*\|([^<>]*)>")
BOLD_MARK = "\x01"


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A Slack link `<url|label>` built directly: the characters that would end it early are percent-encoded
    in the URL and escaped in the label, so any URL (parentheses, pipes) stays one link."""
    return f"<{url.translate(_URL_CONTROL)}|{escape(label)}>"


def date_token(moment: Moment) -> str:
    """Slack's date token: the reader's client writes the day (and time) in its own zone and language
    (with the year, `{date_short}`, for a day that may lie in another year); the fallback, for clients
    that can't, is in words in the learner's zone."""
    shown = "{date_short_pretty}" if moment.day else "{date_short_pretty} at {time}"
    shown = "{date_short}" if moment.year else shown
    return f"<!date^{int(moment.at.timestamp())}^{shown}|{escape(spoken(moment))}>"


def unlinked(mrkdwn: str) -> str:
    """mrkdwn with each date token as its fallback words (a notification line, which is plain text)."""
    return _DATE_TOKEN.sub(r"\1", mrkdwn)


def to_mrkdwn(markdown: Text) -> str:
    """Markdown (the subset replies use) to Slack mrkdwn. Code and URLs pass through untouched; moments
    become date tokens."""
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"\x00{len(held) - 1}\x00"

    text = markdown if isinstance(markdown, str) else markdown.written(lambda moment: hold(date_token(moment)))
    text = _CODE.sub(lambda m: hold(escape(m.group(0))), text)
    text = _LINK.sub(lambda m: hold(link(m.group(2), m.group(1) or m.group(2))), text)
    text = _BARE_URL.sub(lambda m: hold(m.group(0).replace("&", "&amp;")), text)
    text = escape(text)
    text = _HEADING.sub(lambda m: f"{BOLD_MARK}{m.group(1)}{BOLD_MARK}", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = _STRONG_EM.sub(lambda m: f"{BOLD_MARK}_{m.group(1) or m.group(2)}_{BOLD_MARK}", text)
    text = _BOLD.sub(lambda m: f"{BOLD_MARK}{m.group(1) or m.group(2)}{BOLD_MARK}", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = text.replace(BOLD_MARK, "*")
    while _HOLD.search(text):
        text = _HOLD.sub(lambda m: held[int(m.group(1))], text)
    return text


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, then lines, then words.

    Only a single word longer than `limit` (a giant URL) is cut inside; a code block that spans two pieces
    is closed and reopened so both render as code.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    room = limit - 2 * (len(FENCE) + 1) if FENCE in text else limit
    pieces = [p.strip() for p in _split(text, room, ("\n\n", "\n", " ")) if p.strip()]
    return _balance_fences(pieces)


def clip(text: str, limit: int) -> str:
    """A short label (a button, a header) within `limit`, shortened at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _split(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if len(text) <= limit:
        return [text]
    if not separators:
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    separator, finer = separators[0], separators[1:]
    parts = _WORD.findall(text) if separator == " " else text.split(separator)
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = part if not current else current + separator + part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(part) <= limit:
            current = part
        else:
            *done, current = _split(part, limit, finer)
            chunks.extend(done)
    if current:
        chunks.append(current)
    return chunks


def _balance_fences(pieces: list[str]) -> list[str]:
    balanced = []
    open_fence = False
    for piece in pieces:
        if open_fence:
            piece = f"{FENCE}\n{piece}"
        open_fence = piece.count(FENCE) % 2 == 1
        balanced.append(f"{piece}\n{FENCE}" if open_fence else piece)
    return balanced
