"""People, the org chart and how each person is reached on each chat platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """One employee from the org chart; `manager_id` makes the chart a tree."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    name: str = Field(max_length=200)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    role_id: str | None = Field(default=None, foreign_key="role.id", index=True)
    timezone: str | None = Field(default=None, max_length=64, description="IANA name from the org chart")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatIdentity(SQLModel, table=True):
    """A person's account on one platform and where to reach them (Slack DM channel, Teams reference)."""

    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_chat_identity_platform_external"),
        UniqueConstraint("person_id", "platform", name="uq_chat_identity_person_platform"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16, description="slack | teams")
    external_id: str = Field(max_length=200, description="Slack user id, or Teams user id (29:…)")
    alt_id: str | None = Field(
        default=None, max_length=200, index=True, description="Teams AAD object id, when known"
    )
    workspace: str | None = Field(default=None, max_length=200, description="Slack team id / Teams tenant id")
    address: dict[str, Any] | None = Field(
        default=None,
        sa_type=JSONType,
        description="Slack: {'channel': DM id}; Teams: the serialised ConversationReference",
    )
    timezone: str | None = Field(default=None, max_length=64, description="as the platform's profile says")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PendingContact(SQLModel, table=True):
    """Someone who wrote to the bot, or installed it, while the platform could not say who they are (a
    throttled or failing member lookup): where to reach them and when to ask the platform again. It lives in
    the database so that a restart, or another process, finishes the job; the row goes once they are
    identified, or after the last try (their next message tries again)."""

    platform: str = Field(primary_key=True, max_length=16)
    external_id: str = Field(primary_key=True, max_length=200, description="the platform's user id")
    address: dict[str, Any] = Field(sa_type=JSONType, description="the serialised ConversationReference")
    welcome: bool = Field(default=False, description="their install went unanswered: the welcome is owed")
    attempts: int = 0
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime,
                                         description="a process is asking the platform until then")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrgState(SQLModel, table=True):
    """Whether the org chart changed since the last `coach org import`, so re-importing an unchanged file is
    one small read instead of a whole comparison. One row (id 1). Database triggers (migration 0009) add one
    to `changes` whenever anything an import compares is written by anyone: people, their chat ids, who is
    enrolled. The import keeps the file's digest and the `changes` and catalogue version it left behind."""

    id: int = Field(default=1, primary_key=True)
    changes: int = Field(default=0, sa_type=BigInteger)
    digest: str | None = Field(default=None, max_length=64, description="sha256 of the file and its options")
    digest_changes: int | None = Field(default=None, sa_type=BigInteger)
    catalogue: int | None = Field(default=None, description="the catalogue version (roles) it was checked on")
    listed: int | None = Field(default=None, description="people the file listed")
