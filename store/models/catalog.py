"""What can be learned: packs, competencies, roles and lessons, with every version of every lesson kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow


class Pack(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)
    source: str = Field(default="", max_length=1000, description="folder it was imported from")
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    synonyms: list[list[str]] = Field(default_factory=list, sa_type=JSONType,
                                      description="groups of words that mean the same to topic search")
    phrasing: list[str] = Field(default_factory=list, sa_type=JSONType,
                                description="question phrasing topic search ignores (phrasing.yaml)")


class Competency(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    pack_id: str = Field(foreign_key="pack.id", index=True)
    name: str = Field(max_length=200)
    description: str = ""


class Role(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    pack_id: str = Field(foreign_key="pack.id", index=True)
    name: str = Field(max_length=200)


class RoleRequirement(SQLModel, table=True):
    """The level (1–3) of a competency that a role needs."""

    role_id: str = Field(foreign_key="role.id", primary_key=True, max_length=64)
    competency_id: str = Field(foreign_key="competency.id", primary_key=True, max_length=64)
    level: int


class Lesson(SQLModel, table=True):
    """A lesson's identity and the fields the engine filters on; the text lives in its versions."""

    __table_args__ = (Index("ix_lesson_competency_level", "competency_id", "level", "active"),)

    id: str = Field(primary_key=True, max_length=64)
    pack_id: str = Field(foreign_key="pack.id", index=True)
    competency_id: str = Field(foreign_key="competency.id")
    level: int
    format: str = Field(max_length=16)
    minutes: int = 2
    title: str = Field(max_length=200)
    tags: list[str] = Field(default_factory=list, sa_type=JSONType)
    asks: list[str] = Field(default_factory=list, sa_type=JSONType,
                            description="what employees would type when they need it (for topic search)")
    requires: list[str] = Field(default_factory=list, sa_type=JSONType)
    current_version_id: int | None = Field(default=None)
    active: bool = Field(default=True, description="false once a re-imported pack no longer has it")


class LessonVersion(SQLModel, table=True):
    """One imported text of a lesson. Answers point here, so editing a lesson never rewrites history."""

    __table_args__ = (UniqueConstraint("lesson_id", "version", name="uq_lesson_version"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(foreign_key="lesson.id", index=True)
    version: int
    checksum: str = Field(max_length=64)
    title: str = Field(max_length=200)
    body: str
    media: str | None = None
    prompt: str | None = Field(default=None, description="reflection lessons: the open question")
    source: str = Field(default="", max_length=1000, description="FILE the version was read from")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Question(SQLModel, table=True):
    """A check question of one lesson version. `item_key` is stable across versions (reviews, difficulty)."""

    __table_args__ = (UniqueConstraint("lesson_version_id", "key", name="uq_question_version_key"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_version_id: int = Field(foreign_key="lessonversion.id", index=True)
    key: str = Field(max_length=64)
    item_key: str = Field(max_length=140, index=True, description="lesson id '/' question key")
    position: int
    ask: str
    options: list[dict[str, Any]] = Field(sa_type=JSONType, description="[{'text': …, 'correct': bool}]")
    explain: str = ""


class ItemParam(SQLModel, table=True):
    """A question's fitted difficulty for the mastery model (by stable item key)."""

    item_key: str = Field(primary_key=True, max_length=140)
    difficulty: float
    answers: int = 0
    fitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ModelFit(SQLModel, table=True):
    """The mastery model's global parameters, refitted by `coach fit`; the newest row is used."""

    id: int | None = Field(default=None, primary_key=True)
    params: dict[str, Any] = Field(sa_type=JSONType)
    answers: int = 0
    fitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CatalogueVersion(SQLModel, table=True):
    """A counter per shared thing that processes cache (`catalogue`: lessons, questions, roles; `model`: the
    fitted mastery model), bumped in the transaction that changes it (content import, `coach fit`). A process
    reads these few rows once per batch and reloads its copy only when a counter moved, so several processes on
    one database never act on an old catalogue for longer than one batch."""

    name: str = Field(primary_key=True, max_length=32)
    version: int = 0
