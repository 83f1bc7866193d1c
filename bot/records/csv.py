"""CSV files: a manager's team summary (`/team export`) and every learning record (`coach export csv`).

Files start with a UTF-8 byte-order mark so that spreadsheet programs read names with accents correctly.
A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
return) gets a leading `'`, as OWASP recommends against CSV injection; so does one that starts with `'`
itself, so a program reading the file back recovers every value exactly by dropping one leading `'`
(docs/records.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import IO

from bot.replies import Moment, TeamSummary
from store.records import AnswerRecord

RECORD_COLUMNS = ("answered_at", "email", "name", "manager_email", "role", "competency", "competency_name",
                  "lesson", "lesson_title", "lesson_version", "lesson_level", "format", "kind", "origin",
                  "question", "choice", "correct", "mastery_after", "level_after", "via")
"""One row per answer. A reflection's own text is never exported: only that it was written."""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def safe_cell(value: object) -> object:
    """The value as written to a cell: text a spreadsheet would evaluate is neutralised with a leading `'`
    (numbers stay numbers; a negative number is never written as text here)."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, ESCAPE)):
        return ESCAPE + value
    return value


class SafeWriter:
    """A csv writer whose every cell goes through `safe_cell`: no CSV the product writes can carry a formula."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def team_csv(summary: TeamSummary) -> bytes:
    """One row per person, in their group; per competency its level, the target and the mastery. The last
    active time is ISO 8601 on the reader's clock (`TeamSummary.zone`, with its offset)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    header = ["group", "name", "email", "answered_7_days", "answered_30_days", "streak_days", "last_active",
              "quiet", "falling", "focus"]
    for competency in summary.competencies:
        header += [f"{competency.value} level", f"{competency.value} target", f"{competency.value} mastery"]
    writer.writerow(header)
    for group in summary.groups:
        for member in group.members:
            e = member.engagement
            lead = group.lead + (" (left)" if group.left else "")
            row: list[object] = [lead, member.name, member.email, e.answered_7, e.answered_30, e.streak_days,
                                 _time(Moment(e.last_active, summary.zone).local if e.last_active else None),
                                 int(member.quiet), "; ".join(member.falling),
                                 "; ".join(member.focus)]
            for cell in member.cells:  # before a first answer there is no level or mastery, only a target
                row += [cell.level if cell.answered else "", cell.target or "",
                        f"{cell.mastery:.3f}" if cell.answered else ""] if cell else ["", "", ""]
            writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()


def record_rows(records: Iterable[AnswerRecord]) -> list[list[object]]:
    return [[_time(r.answered_at), r.email, r.name, r.manager_email or "", r.role or "", r.competency,
             r.competency_name, r.lesson_id, r.lesson_title, r.lesson_version, r.lesson_level, r.lesson_format,
             r.kind, r.origin, r.question or "", _choice(r), _flag(r.correct),
             "" if r.mastery_after is None else f"{r.mastery_after:.3f}",
             "" if r.level_after is None else r.level_after, r.via] for r in records]


def write_rows(out: IO[str], rows: list[list[object]], *, header: bool) -> None:
    writer = SafeWriter(out)
    if header:
        out.write("\ufeff")
        writer.writerow(RECORD_COLUMNS)
    writer.writerows(rows)


def _choice(record: AnswerRecord) -> str:
    if record.choice is None or not record.options or not 0 <= record.choice < len(record.options):
        return ""
    return str(record.options[record.choice].get("text", ""))


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _time(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
