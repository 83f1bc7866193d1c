"""Keys of platform events already handled, so that retried deliveries of one event act once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class ProcessedEvent(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=200, description="'slack:' + event_id, …")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
