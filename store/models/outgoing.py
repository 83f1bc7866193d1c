"""What leaves the system on its own schedule: managers' weekly digests, learning records sent to an LRS, and
the send budget every process shares per Slack workspace or Teams tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class DigestSent(SQLModel, table=True):
    """One weekly digest per manager and ISO week. Inserting the row is the claim (unique), so two
    processes never both send it; `sent_at` stays empty until the platform accepted the message."""

    __table_args__ = (UniqueConstraint("person_id", "week", name="uq_digestsent_person_week"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    week: str = Field(max_length=10, description="ISO week in the manager's zone, e.g. 2026-W49")
    claimed_by: str = Field(max_length=100)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    platform: str | None = Field(default=None, max_length=16)


class LrsCursor(SQLModel, table=True):
    """How far the statements of one source table have been sent to one Learning Record Store.

    Sources are read in id order; after each accepted batch the cursor moves to its last id, so a statement is
    sent once, and a crash mid-way resends at most one batch (which the LRS accepts again: ids are stable).
    """

    endpoint: str = Field(primary_key=True, max_length=500, description="the LRS statements URL")
    source: str = Field(primary_key=True, max_length=16, description="answer | badge")
    last_id: int = 0
    sent: int = Field(default=0, description="statements accepted so far")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SendBudget(SQLModel, table=True):
    """How fast every process together may still post to one Slack workspace or Teams tenant: a token bucket
    (`tokens` as of `refilled_at`, refilled at the key's pace: `COACH_SENDS_PER_SECOND`, or a Slack method tier's
    `COACH_SLACK_*_PER_MINUTE` for keys ending in the tier) and, after a 429, nothing before
    `hold_until`. Read and written in short transactions under a row lock, never across a network call."""

    key: str = Field(primary_key=True, max_length=200, description="platform and workspace/tenant, e.g. slack:T01")
    tokens: float
    refilled_at: datetime = Field(sa_type=UTCDateTime)
    hold_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
