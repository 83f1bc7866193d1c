"""A content pack as read from disk: plain data with the FILE:LINE of everything an author can get wrong."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, printed as `FILE:LINE: message`."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Option:
    text: str
    correct: bool = False


@dataclass
class QuestionSpec:
    key: str
    ask: str
    options: list[Option]
    explain: str = ""


@dataclass
class LessonSpec:
    id: str
    title: str
    competency: str
    level: int
    format: str
    minutes: int
    body: str
    file: Path
    line: int
    pack_id: str = ""
    requires: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    """What an employee would type when they need this lesson (for search)."""
    media: str | None = None
    prompt: str | None = None
    questions: list[QuestionSpec] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        """The line of a front-matter field (the id's line when the field is absent)."""
        return self.lines.get(key, self.line)

    @property
    def graded(self) -> bool:
        """Reflections collect free text; every other format asks check questions."""
        return self.format != "reflection"

    @property
    def checksum(self) -> str:
        """Changes whenever anything a learner sees or the engine uses changes: a new version on import."""
        content = {
            key: value
            for key, value in asdict(self).items()
            if key not in ("file", "line", "pack_id", "lines")
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass
class CompetencySpec:
    id: str
    name: str
    description: str = ""
    line: int = 0


@dataclass
class RoleSpec:
    id: str
    name: str
    requires: dict[str, int] = field(default_factory=dict)
    line: int = 0


@dataclass
class PackSpec:
    id: str
    title: str
    path: Path
    line: int = 1
    """The line of `id:` in pack.yaml."""
    competencies: list[CompetencySpec] = field(default_factory=list)
    roles: list[RoleSpec] = field(default_factory=list)
    lessons: list[LessonSpec] = field(default_factory=list)
    synonyms: list[tuple[str, ...]] = field(default_factory=list)
    """Groups of words that mean the same to search (synonyms.yaml)."""
    phrasing: list[str] = field(default_factory=list)
    """Question phrasing search ignores, besides the bundled list (phrasing.yaml)."""

    @property
    def manifest(self) -> Path:
        return self.path / "pack.yaml"


@dataclass(frozen=True)
class KnownContent:
    """What is already loaded from other packs, which the packs being checked may build on."""

    competencies: frozenset[str] = frozenset()
    lessons: frozenset[str] = frozenset()
    taught: frozenset[tuple[str, int]] = frozenset()
    """(competency, level) pairs some loaded graded lesson teaches."""
