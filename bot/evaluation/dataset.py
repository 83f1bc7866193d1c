"""Read answer logs in the shared CSV format: ``user_id,skill_id,correct`` plus optional ``item_id``/``level``.

Rows of a learner are in answer order. Any problem is reported as ``FILE:LINE: message`` so that a person
can open the file at the right line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.engine.mastery_params import AnswerRow

REQUIRED = ("user_id", "skill_id", "correct")
OPTIONAL = ("item_id", "level")


class DatasetError(Exception):
    """A problem in an answer file, located to its line (1 is the header)."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


def read_answers(path: Path) -> list[AnswerRow]:
    """All answers of the file, in file order; raises DatasetError on the first malformed line."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise DatasetError(path, 1, f"empty file: expected a header {','.join(REQUIRED)}")
            columns = {name.strip(): k for k, name in enumerate(header)}
            missing = [name for name in REQUIRED if name not in columns]
            if missing:
                raise DatasetError(path, 1, f"missing column {', '.join(missing)} (header is {','.join(header)})")
            rows = [_row(path, reader.line_num, fields, columns, len(header)) for fields in reader if fields]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DatasetError(path, reader.line_num + 1, f"not a readable CSV text file ({exc})") from None
    if not rows:
        raise DatasetError(path, 2, "no answers after the header")
    return rows


def _row(path: Path, line: int, fields: list[str], columns: dict[str, int], width: int) -> AnswerRow:
    if len(fields) != width:
        raise DatasetError(path, line, f"expected {width} fields, got {len(fields)}")
    value = {name: fields[k].strip() for name, k in columns.items()}
    if value["correct"] not in ("0", "1"):
        raise DatasetError(path, line, f"correct must be 0 or 1, got {value['correct']!r}")
    for name in ("user_id", "skill_id"):
        if not value[name]:
            raise DatasetError(path, line, f"{name} is empty")
    level = value.get("level") or None
    if level is not None and level not in ("1", "2", "3"):
        raise DatasetError(path, line, f"level must be 1, 2 or 3 when given, got {level!r}")
    return AnswerRow(value["user_id"], value["skill_id"], value["correct"] == "1", value.get("item_id") or None,
                     int(level) if level else None)
