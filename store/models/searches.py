"""What topic search learns from an organisation: the searches people made and which lesson answered them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow


class TopicSearch(SQLModel, table=True):
    """One `/learn <words>`: what was typed, its normalised key (the terms search matched on) and what the coach
    did — sent a lesson (`sure`), offered choices (`choose`) or said nothing fits (`nothing`)."""

    __table_args__ = (Index("ix_topicsearch_org_outcome", "org", "outcome", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org: str = Field(default="", max_length=200, description="Slack team / Teams tenant; '' when neither")
    person_id: int = Field(foreign_key="person.id", index=True)
    words: str = Field(max_length=500)
    key: str = Field(max_length=500)
    outcome: str = Field(max_length=16, description="sure | choose | nothing")
    offered: list[str] = Field(default_factory=list, sa_type=JSONType, description="lesson ids offered or sent")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True,
                                    description="the lesson sent for it, directly or once picked")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SearchEvidence(SQLModel, table=True):
    """A person's word that a lesson answers (+1) or does not answer (-1) a search: they picked it among the
    choices, or rated the lesson it sent useful or not relevant. One pick and one rating per search: a click
    twice counts once, a new rating replaces the old."""

    __table_args__ = (
        UniqueConstraint("search_id", "source", name="uq_searchevidence_search_source"),
        Index("ix_searchevidence_org_key", "org", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    search_id: int = Field(foreign_key="topicsearch.id")
    org: str = Field(default="", max_length=200)
    key: str = Field(max_length=500)
    lesson_id: str = Field(foreign_key="lesson.id", max_length=64)
    person_id: int = Field(foreign_key="person.id")
    source: str = Field(max_length=16, description="pick | rating")
    signal: int = Field(description="+1 answers the search, -1 does not")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
