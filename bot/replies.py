"""The platform-neutral reply model: what the coach wants shown, which each chat handler renders.

Use cases return a `Reply`; `handlers/slack` turns it into Block Kit, `handlers/msteams` into Adaptive Cards,
`handlers/console` into terminal text. Texts are Markdown (bold, italics, lists, links), which every
renderer converts in exactly one place; a moment in a text is a `Moment` inside a `Phrase`, never words
fixed on the server, so each platform shows it in its reader's zone and language. Buttons carry an action
name and a small value that comes back unchanged when pressed (`bot.chat.actions` routes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

F = TypeVar("F", bound=Callable[..., Any])


class Renderers(Generic[F]):
    """One platform's renderers of the reply types, one per type: Slack's Block Kit, Teams' cards, the
    terminal's text each keep one. A type without a renderer of its own is shown by its base type's."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._by_type: dict[type, F] = {}

    def register(self, kind: type) -> Callable[[F], F]:
        """Use as a decorator. A second, different renderer for a type is a programming error."""

        def register(function: F) -> F:
            if self._by_type.get(kind, function) is not function:
                raise ValueError(f"{kind.__name__} already has a {self.platform} renderer")
            self._by_type[kind] = function
            return function

        return register

    def find(self, item: Any) -> F | None:
        return next((self._by_type[kind] for kind in type(item).__mro__ if kind in self._by_type), None)

    def kinds(self) -> frozenset[type]:
        return frozenset(self._by_type)


@dataclass(frozen=True)
class Moment:
    """A point in time in a reply, kept as a time and never as words written on the server: Slack shows it
    with its date token and Teams with DATE()/TIME(), each client in its reader's own zone and language.
    `zone` is the learner's: where text written on the server (a notification line, a screen reader's
    fallback, the console) puts it. An unknown zone name reads as UTC."""

    at: datetime
    zone: str
    day: bool = False
    """Only the day counts (a last day away, a digest's date): shown without a time of day."""
    year: bool = False
    """The day may lie in another year (a team member last active months ago): shown with its year."""

    @classmethod
    def on(cls, day: date, zone: str) -> Moment:
        """A calendar day in the learner's zone, held at its noon: a reader up to 12 hours away from the
        learner still sees the same day."""
        return cls(datetime.combine(day, time(12), zone_info(zone)), zone, day=True)

    @property
    def local(self) -> datetime:
        """The moment on the learner's clock."""
        return self.at.astimezone(zone_info(self.zone))


def zone_info(zone: str) -> ZoneInfo:
    """The zone by its IANA name; UTC for a name the zone database does not know."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Phrase:
    """Markdown with moments in it, kept apart so that each renderer writes them its own way. Join it with
    text by `+`; `Phrase.lines` joins several texts a line each (`joined` keeps texts without moments a
    string; `split` cuts one)."""

    parts: tuple[str | Moment, ...]

    def __add__(self, other: Text) -> Phrase:
        return Phrase(self.parts + (other.parts if isinstance(other, Phrase) else (other,)))

    def __radd__(self, other: str) -> Phrase:
        return Phrase((other, *self.parts))

    @classmethod
    def of(cls, *parts: str | Moment) -> Phrase:
        return cls(tuple(parts))

    @classmethod
    def lines(cls, texts: Iterable[Text], separator: str = "\n") -> Phrase:
        parts: list[str | Moment] = []
        for index, text in enumerate(texts):
            parts += [separator] if index else []
            parts += text.parts if isinstance(text, Phrase) else [text]
        return cls(tuple(parts))

    def written(self, moment: Callable[[Moment], str]) -> str:
        """The Markdown, each moment written by `moment`."""
        return "".join(part if isinstance(part, str) else moment(part) for part in self.parts)


Text = str | Phrase
"""What a reply's text may be: plain Markdown, or Markdown with moments (`Phrase`)."""


def written(text: Text, moment: Callable[[Moment], str]) -> str:
    """Any reply text as Markdown, each moment written by `moment`."""
    return text.written(moment) if isinstance(text, Phrase) else text


def joined(texts: Iterable[Text], separator: str = "\n") -> Text:
    """Texts joined by `separator` (a line each by default): plain Markdown while none of them holds a
    moment, so a view without dates stays a string; else a `Phrase`."""
    items = list(texts)
    if all(isinstance(text, str) for text in items):
        return separator.join(str(text) for text in items)
    return Phrase.lines(items, separator)


def split(text: Text, separator: str) -> list[Text]:
    """The text cut at each `separator` (never inside a moment), each piece plain Markdown unless it holds
    a moment: how a renderer cuts a view into paragraphs."""
    if isinstance(text, str):
        return text.split(separator)
    pieces: list[list[str | Moment]] = [[]]
    for part in text.parts:
        if isinstance(part, Moment):
            pieces[-1].append(part)
            continue
        first, *rest = part.split(separator)
        pieces[-1].append(first)
        pieces += [[piece] for piece in rest]
    return [Phrase(tuple(piece)) if any(isinstance(part, Moment) for part in piece) else "".join(map(str, piece))
            for piece in pieces]


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

    text: Text
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
    origin: str = "scheduled"
    """Why it was sent (the delivery's origin: scheduled | on_demand | topic | trigger | nudge | focus)."""

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
    correct: bool
    chosen: str
    right_answer: str | None
    explain: str
    progress_line: str
    celebrations: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    feedback: list[Button] = field(default_factory=list)
    repeat: bool = False
    """Shown again (a refreshed card), not a new answer: not counted as one."""


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
    away_until: date | None = None
    """The learner's last day away (no scheduled lessons, reviews wait); None when not away."""

    @property
    def flags(self) -> dict[str, str]:
        """The on/off choices this person gets (the team digest only when they manage someone), worded."""
        return {flag: label for flag, label in SETTINGS_FLAGS.items() if flag != "digest_opt_in" or self.is_manager}


SETTINGS_FLAGS = {
    "show_name_to_peers": "Peers may see my name in their team view",
    "shoutout_opt_in": "Celebrate me in the shout-out channel when I complete my goal role",
    "digest_opt_in": "Send me a weekly digest of my team (Monday morning)",
}
"""The settings' on/off choices, worded once for every platform (a Slack checkbox takes 75 characters).
Shout-outs are posted only when every target of the learner's chosen goal role is met (docs/people.md)."""


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
    def text(cls, text: Text, *buttons: Button, ephemeral: bool = False) -> Reply:
        return cls(messages=[Notice(text, list(buttons))], ephemeral=ephemeral)


@dataclass
class Engagement:
    """How much someone has been learning lately (what a manager and the learner both see)."""

    answered_7: int
    answered_30: int
    streak_days: int
    last_active: datetime | None


@dataclass(frozen=True)
class HeatCell:
    """One person × competency of a team heatmap: the level shown against the level their targets ask for."""

    level: int
    target: int  # 0 when nothing asks this person for the competency
    mastery: float
    answered: bool = True
    """False while the person has no answer in the competency: `level` and `mastery` are then only the
    model's prior, so views say "no answers yet" instead of a level."""

    @property
    def gap(self) -> int:
        return max(0, self.target - self.level)

    @property
    def status(self) -> str:
        """`none` (no target), `new` (a target, no answers yet), `met`, or `below`."""
        if not self.target:
            return "none"
        if not self.answered:
            return "new"
        return "met" if self.level >= self.target else "below"


@dataclass
class MemberLine:
    """One report in the team summary; `cells` follow `TeamSummary.competencies` (None: neither a target
    nor practised)."""

    person_id: int
    name: str
    email: str
    cells: list[HeatCell | None]
    engagement: Engagement
    quiet: bool
    falling: list[str]
    focus: list[str]


@dataclass(frozen=True)
class LevelCounts:
    """One group and competency: how many of those with a target in it meet it, are one level below, two or
    more below, or have no answers in it yet (the heatmap's cells, counted)."""

    met: int = 0
    near: int = 0
    far: int = 0
    new: int = 0

    @property
    def below(self) -> int:
        return self.near + self.far

    @property
    def answered(self) -> int:
        return self.met + self.near + self.far

    def __add__(self, other: LevelCounts) -> LevelCounts:
        return LevelCounts(self.met + other.met, self.near + other.near, self.far + other.far, self.new + other.new)


@dataclass
class TeamGroup:
    """A direct report and everyone below them, with totals (`below`: per competency column, how many of
    the group are under their target).

    `key` is the person the group is named after (`lead`): a direct report, or one who has left the org
    chart (`left`: the people who reported to them stay in the team, in this group). `below_people` counts
    people below target in at least one competency (never cells), `active_7` people who answered this week,
    `needs_attention` the names of those quiet or falling. `show` opens the group's own summary (person by
    person); renderers put it beside the group's line.
    """

    lead: str
    members: list[MemberLine]
    answered_7: int
    answered_30: int
    below: list[int]
    quiet: int
    key: int | None = None
    title: str = ""
    """How the group is named ("Ana Lead's group", "Reporting to Lee Left (left)"); empty: `<lead>'s group`."""
    left: bool = False
    below_people: int = 0
    active_7: int = 0
    needs_attention: list[str] = field(default_factory=list)
    show: Button | None = None
    levels: list[LevelCounts] = field(default_factory=list)
    """Per competency column, how the group stands against target (empty: nothing to count)."""
    active_14: int = 0
    gaps: list[str] = field(default_factory=list)
    """The competencies with the most people below target, biggest first."""
    headcount: int | None = None
    """The group's size when its people are not loaded (`members` empty: totals counted by the database)."""

    @property
    def people(self) -> int:
        return len(self.members) if self.headcount is None else self.headcount

    @property
    def heading(self) -> str:
        return self.title or f"{self.lead}'s group"


@dataclass
class TeamSummary:
    """`/team`: every direct and indirect report on one screen.

    Large teams come `grouped` by direct report. `listed` says whether each person has a row of their own
    in this message: a grouped summary shows one line per group instead (each with its `show` button), and
    `note` says where everyone is (the group buttons, the attached heatmap image and spreadsheet).
    `scope` is empty for the whole team, or the group's heading when this is one group's summary (opened by
    its `show` button). `attention` holds the first notes, `attention_more` how many more there are.
    `text` is the whole summary as Markdown for plain-text clients and notifications; its dates (a last
    active day over a month ago, when kept figures were counted) are `Moment`s in the reader's `zone`.
    """

    manager: str
    competencies: list[Choice]
    groups: list[TeamGroup]
    grouped: bool
    listed: bool
    gaps: list[str]
    attention: list[Text]
    actions: list[Button]
    text: Text
    note: Text = ""
    as_of: datetime | None = None
    scope: str = ""
    attention_more: int = 0
    counted: bool = False
    """The groups' totals were counted by the database and nobody's row was loaded: no heatmap, no
    spreadsheet, no names (each group's Show button goes one level down)."""
    zone: str = "UTC"
    """The reader's zone (the manager's own, as the learner views take a learner's): where the dates written
    on the server fall, and which day is "today"."""

    @property
    def people(self) -> int:
        return sum(group.people for group in self.groups)

    @property
    def members(self) -> list[MemberLine]:
        return [member for group in self.groups for member in group.members]


@dataclass
class AnswerTally:
    """One competency's answers over the recent weeks, for a manager's look at one report."""

    competency: str
    answered: int
    correct: int
    lessons: list[str]


@dataclass
class PersonDetail:
    """`/team <person>` (and the learner's own "what my manager sees"): levels against targets, recent
    answers by competency and the lesson feedback they gave — never a reflection's text. Dates are
    `Moment`s in the reader's `zone` (the manager's, or the learner's own on "what my manager sees")."""

    person_id: int
    name: str
    email: str
    role: str
    rows: list[CompetencyRow]
    engagement: Engagement
    recent: list[AnswerTally]
    feedback: list[Text]
    attention: list[Text]
    actions: list[Button]
    text: Text
    zone: str = "UTC"


@dataclass
class PeerRow:
    """The learner's mastery of a competency beside their team's average (None below the privacy floor)."""

    competency: str
    mine: float
    level: int
    target: int
    team_average: float | None
    people: int
    """Teammates with answers in the competency: the average is over them only (a prior is no result)."""
    answered: bool = True
    """Whether the learner has answered in it (else `mine` is the model's prior: "no answers yet")."""


@dataclass
class PeerView:
    """`/learn team`: the team's averages beside the learner's own, and what teammates are learning this
    week (named only when they agreed to be)."""

    team_size: int
    rows: list[PeerRow]
    learning: list[str]
    buttons: list[Button]
    text: str
