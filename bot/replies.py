"""The platform-neutral reply model: what the coach wants shown, which each chat handler renders.

Use cases return a `Reply`; `handlers/slack` turns it into Block Kit, `handlers/teams` into Adaptive Cards,
`handlers/console` into terminal text. Texts are Markdown (bold, italics, lists, links), which every
renderer converts in exactly one place. Buttons carry an action name and a small value that comes back
unchanged when pressed (`bot.actions` routes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button; `action` + `value` come back to `Coach.press` when someone presses it."""

    label: str
    action: str
    value: dict[str, Any] = field(default_factory=dict)
    style: str | None = None  # "primary" | "danger" | None


@dataclass
class Notice:
    """A plain message, optionally with buttons."""

    text: str
    buttons: list[Button] = field(default_factory=list)


@dataclass
class LessonCard:
    """A lesson, a review or a placement question, as it arrives in the learner's DM.

    `options` are the answer buttons, labelled with the options' texts. Once answered, `chosen` and
    `correct` are set and the card is re-rendered without buttons (the original message is updated).
    """

    delivery_id: int
    kind: str  # lesson | review | placement | remediation
    competency: str
    level: int
    minutes: int
    title: str
    format: str
    body: str = ""
    media: str | None = None
    reason: str | None = None
    question: str | None = None
    options: list[Button] = field(default_factory=list)
    prompt: str | None = None
    chosen: str | None = None
    correct: bool | None = None

    @property
    def answered(self) -> bool:
        return self.chosen is not None

    @property
    def header(self) -> str:
        """The one-line header every platform shows: competency · level · minutes."""
        return f"{self.competency} · level {self.level} · {self.minutes} min"


@dataclass
class AnswerResult:
    """What the learner sees after answering: right or wrong, why, and what next."""

    delivery_id: int
    correct: bool | None  # None for a reflection
    chosen: str
    right_answer: str | None
    explain: str
    progress_line: str
    celebrations: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    feedback: list[Button] = field(default_factory=list)


@dataclass
class CompetencyRow:
    competency_id: str
    name: str
    level: int
    target: int
    mastery: float
    attempts: int
    correct: int
    why: str  # role | goal | focus | interest
    explanation: str = ""


@dataclass
class ProgressView:
    """`/learn progress`: the learner's own picture, including what their manager sees."""

    name: str
    streak_days: int
    rows: list[CompetencyRow]
    next_lesson_at: datetime | None
    timezone: str
    paused: bool
    manager_sees: str
    badges: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)


@dataclass
class Choice:
    """One of several things a person can pick (settings choices, lessons to offer)."""

    value: str
    label: str


@dataclass
class SettingsForm:
    """`/learn settings`: current values and the choices; the platform shows a modal or a card form."""

    person_id: int
    days: str
    window_start: str
    window_end: str
    lessons_per_day: int
    timezone: str
    formats: list[str]
    goal_role: str | None
    interests: list[str]
    show_name_to_peers: bool
    shoutout_opt_in: bool
    digest_opt_in: bool
    is_manager: bool
    role_choices: list[Choice]
    competency_choices: list[Choice]
    format_choices: list[Choice]


@dataclass
class Reply:
    """Everything one interaction produces.

    `update` replaces the message the person acted on (e.g. the lesson card after an answer);
    `messages` are new messages; `ephemeral` asks for "only visible to you" where the platform has it.
    `attachments` are files (name, bytes, mime type) such as a CSV export or a heatmap PNG.
    """

    messages: list[Any] = field(default_factory=list)
    update: Any | None = None
    ephemeral: bool = False
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)

    @classmethod
    def text(cls, text: str, *buttons: Button, ephemeral: bool = False) -> Reply:
        return cls(messages=[Notice(text, list(buttons))], ephemeral=ephemeral)
