"""What happens to each learner: settings, deliveries, answers, mastery, reviews, feedback and rewards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow

WEEKDAYS = "12345"
"""ISO weekday digits (1 = Monday) of the default schedule: Monday to Friday."""


class LearnerSettings(SQLModel, table=True):
    """A learner's own schedule and preferences; `next_slot_at` is when the dispatcher next owes a lesson."""

    __table_args__ = (Index("ix_learnersettings_due", "paused", "next_slot_at"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    days: str = Field(default=WEEKDAYS, max_length=7, description="ISO weekday digits, 1 = Monday")
    window_start: str = Field(default="10:00", max_length=5)
    window_end: str = Field(default="17:00", max_length=5)
    lessons_per_day: int = 1
    timezone: str | None = Field(default=None, max_length=64, description="the learner's own choice")
    formats: list[str] = Field(default_factory=list, sa_type=JSONType, description="preferred first")
    goal_role_id: str | None = Field(default=None, foreign_key="role.id")
    interests: list[str] = Field(default_factory=list, sa_type=JSONType, description="competency ids")
    paused: bool = False
    away_until: date | None = None
    show_name_to_peers: bool = False
    shoutout_opt_in: bool = False
    digest_opt_in: bool = False
    welcomed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_slot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    planning_until: datetime | None = Field(
        default=None, sa_type=UTCDateTime,
        description="a dispatcher is choosing this learner's lesson until then (a lease, on the wall clock)",
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PausePeriod(SQLModel, table=True):
    """A stretch when the learner paused; streaks skip it instead of breaking."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One lesson (or review question) owed to or sent to one learner.

    `(person_id, slot)` is unique, so concurrent dispatcher ticks can never schedule the same learner's
    slot twice; `status`/`lease_until` let a process claim a send and another take over if it dies.
    """

    __table_args__ = (
        UniqueConstraint("person_id", "slot", name="uq_delivery_person_slot"),
        Index("ix_delivery_status_due", "status", "due_at"),
        Index("ix_delivery_person_created", "person_id", "created_at"),
        Index("ix_delivery_person_lesson", "person_id", "lesson_id", "created_at"),
        Index("ix_delivery_person_question", "person_id", "question_id", "created_at"),
        Index("ix_delivery_remind", "remind_at"),
        Index("ix_delivery_trigger_key", "trigger_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    lesson_id: str = Field(foreign_key="lesson.id", max_length=64)
    lesson_version_id: int = Field(foreign_key="lessonversion.id")
    question_id: int | None = Field(default=None, foreign_key="question.id")
    kind: str = Field(max_length=16, description="what: lesson | review | placement | remediation")
    origin: str = Field(
        default="scheduled", max_length=16, description="why: scheduled | on_demand | topic | trigger | nudge"
    )
    reason: str | None = Field(default=None, description="shown to the learner (trigger, manager nudge)")
    requested_by: int | None = Field(default=None, foreign_key="person.id")
    slot: str | None = Field(default=None, max_length=32, description="scheduled slot: local date '#' n")
    status: str = Field(default="pending", max_length=12, description="pending | sending | sent | failed")
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = None
    platform: str | None = Field(default=None, max_length=16)
    message_ref: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remind_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="when an unanswered lesson gets its one gentle reminder"
    )
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trigger_key: str | None = Field(
        default=None, max_length=200, description="a trigger's idempotency key: one delivery per key, ever"
    )
    trigger_fingerprint: str | None = Field(
        default=None, max_length=64, description="what a trigger asked for: identical ones merge for a while"
    )


class Answer(SQLModel, table=True):
    """The learner's one answer to a delivery; the unique `delivery_id` makes a double click count once."""

    __table_args__ = (Index("ix_answer_person_time", "person_id", "answered_at"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    person_id: int = Field(foreign_key="person.id")
    competency_id: str = Field(foreign_key="competency.id", max_length=64)
    lesson_version_id: int = Field(foreign_key="lessonversion.id")
    question_id: int | None = Field(default=None, foreign_key="question.id")
    item_key: str | None = Field(default=None, max_length=140)
    choice: int | None = None
    correct: bool | None = Field(default=None, description="None for a reflection")
    text: str | None = Field(default=None, description="a reflection's free text")
    mastery_after: float | None = None
    level_after: int | None = None
    via: str = Field(default="", max_length=16, description="slack | teams | console | …")
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MasteryState(SQLModel, table=True):
    """The mastery model's state for one learner and competency, plus the learner's own adjustments."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    competency_id: str = Field(foreign_key="competency.id", primary_key=True, max_length=64)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    level: int = Field(default=0, description="level shown by the last answer (the model derives it)")
    best_level: int = Field(default=0, description="highest level ever reached (level-up badges)")
    floor: int = Field(default=0, description="highest level answered right in placement: skip below it")
    placed: bool = Field(default=False, description="placement questions are over for this competency")
    attempts: int = 0
    correct: int = 0
    level_offset: int = Field(default=0, description="'too easy' +1, 'too hard' -1")
    relevance: float = Field(default=1.0, description="'not relevant' lowers the competency's priority")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewState(SQLModel, table=True):
    """The spaced-review card (fsrs) of one question for one learner."""

    __table_args__ = (Index("ix_reviewstate_person_due", "person_id", "due_at"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    item_key: str = Field(primary_key=True, max_length=140)
    competency_id: str = Field(foreign_key="competency.id", max_length=64)
    lesson_id: str = Field(foreign_key="lesson.id", max_length=64)
    card: dict[str, Any] = Field(sa_type=JSONType)
    due_at: datetime = Field(sa_type=UTCDateTime)
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Focus(SQLModel, table=True):
    """A competency a manager asked a report to work on; the engine puts it first until mastered. At most one
    open (not cleared) focus per person and competency, so a double click assigns it once."""

    __table_args__ = (
        Index("ix_focus_person_active", "person_id", "cleared_at"),
        Index("uq_focus_person_competency_open", "person_id", "competency_id", unique=True,
              postgresql_where=text("cleared_at IS NULL"), sqlite_where=text("cleared_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    competency_id: str = Field(foreign_key="competency.id", max_length=64)
    assigned_by: int | None = Field(default=None, foreign_key="person.id")
    reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LessonFeedback(SQLModel, table=True):
    """A learner's rating of a lesson they received; one per delivery (a new click replaces it)."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    lesson_id: str = Field(foreign_key="lesson.id", index=True, max_length=64)
    rating: str = Field(max_length=16, description="useful | too_easy | too_hard | not_relevant")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Suggestion(SQLModel, table=True):
    """A topic a learner asked L&D for (`/learn suggest …`)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    text: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Badge(SQLModel, table=True):
    """A level-up or a role's targets all met; unique so that re-grading never awards twice."""

    __table_args__ = (UniqueConstraint("person_id", "kind", "key", name="uq_badge"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=16, description="level_up | role_complete | goal_complete")
    key: str = Field(max_length=140, description="'competency:level' or the role id")
    awarded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
