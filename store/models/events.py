"""Keys of platform events already handled, so that retried deliveries of one event act once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


class ProcessedEvent(SQLModel, table=True):
    """One platform event (or button press) being handled or handled.

    A handler claims the key before acting and marks it done after; a retry finds the key and stays quiet,
    unless the earlier attempt neither finished nor is still within its lease (it died), in which case
    the retry takes over. An attempt that fails releases the key so the next retry acts.
    """

    key: str = Field(primary_key=True, max_length=200, description="'slack:' + event_id, …")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime,
                                         description="while being handled; a later retry may take over after it")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
