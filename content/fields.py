"""Typed reads of YAML fields that record a FILE:LINE problem instead of raising."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.located_yaml import LocatedDict, LocatedList
from content.model import Problem

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class FieldReader:
    """Reads one YAML mapping of one file; `offset` turns YAML lines into file lines."""

    data: LocatedDict
    file: Path
    problems: list[Problem]
    offset: int = 0
    allowed: tuple[str, ...] = ()
    what: str = "field"

    def __post_init__(self) -> None:
        for key, line in self.data.duplicates:
            self.report(line, f"'{key}' is given twice")
        if self.allowed:
            for key in self.data:
                if key not in self.allowed:
                    self.report_key(str(key), f"unknown {self.what} '{key}' (expected one of: "
                                    f"{', '.join(self.allowed)})")

    def line(self, key: str) -> int:
        return self.data.line_of(key) + self.offset

    def report(self, yaml_line: int, message: str) -> None:
        self.problems.append(Problem(self.file, yaml_line + self.offset, message))

    def report_key(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.line(key), message))

    def text(self, key: str, *, required: bool = True, limit: int | None = None, single_line: bool = False,
             default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(Problem(self.file, self.data.line + self.offset, f"'{key}' is missing"))
            return default
        if isinstance(value, (dict, list)):
            self.report_key(key, f"'{key}' must be text")
            return default
        value = (self.data.as_written(key) or "").strip()
        if required and not value:
            self.report_key(key, f"'{key}' is empty")
        if limit is not None and len(value) > limit:
            self.report_key(key, f"'{key}' is {len(value)} characters; the limit is {limit}")
        if single_line and "\n" in value:
            self.report_key(key, f"'{key}' must be one line")
        return value

    def identifier(self, key: str, *, limit: int) -> str:
        value = self.text(key, limit=limit)
        if value and not ID_PATTERN.match(value):
            self.report_key(key, f"'{key}' {value!r} may only use a-z, 0-9, '.', '_' and '-', "
                                 "starting with a letter or digit")
        return value

    def integer(self, key: str, *, choices: range | tuple[int, ...], default: int | None = None) -> int:
        value = self.data.get(key)
        if value is None:
            if default is None:
                self.problems.append(Problem(self.file, self.data.line + self.offset, f"'{key}' is missing"))
                return choices[0]
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value not in choices:
            allowed = f"{choices[0]}–{choices[-1]}"
            self.report_key(key, f"'{key}' must be a whole number {allowed}, not {value!r}")
            return default if default is not None else choices[0]
        return value

    def string_list(self, key: str, *, item_limit: int | None = None) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, LocatedList):
            items = [(item, value.as_written(i)) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            self.report_key(key, f"'{key}' must be a list")
            return []
        else:
            items = [(value, self.data.as_written(key))]
        result = []
        for item, written in items:
            if written is None:
                self.report_key(key, f"'{key}' must be a list of words, not {item!r}")
                continue
            text = written.strip()
            if item_limit is not None and len(text) > item_limit:
                self.report_key(key, f"'{key}' item {text[:30]!r}… is longer than {item_limit} characters")
            result.append(text)
        return result

    def child(self, value: Any, *, what: str, allowed: tuple[str, ...], line: int) -> FieldReader | None:
        """A reader for a nested mapping, or None (with a problem) when the value is not a mapping."""
        if not isinstance(value, LocatedDict):
            self.problems.append(Problem(self.file, line + self.offset, f"each {what} must be a mapping"))
            return None
        return FieldReader(value, self.file, self.problems, self.offset, allowed, f"{what} field")
