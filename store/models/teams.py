"""The totals of every manager's subtree, kept by the database so that a director's summary reads a few rows
rather than counting everyone below them on every request (`store.team_totals`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


class TeamTotal(SQLModel, table=True):
    """One row of the totals of a manager's whole subtree, the manager included (`head`): what
    `store.subtree.group_totals` counts for a group, kept. `kind` says what the four counts are:

    - `role` (per `role`): active people, deepest level below the head's manager;
    - `focus` (per `role` and `competency`): open focuses;
    - `answered` (per `competency`): people with answers and a target there meeting it, one below, two or more;
    - `below`: people below target anywhere;
    - `activity`: lessons answered in 7 and in 30 days, people who answered in 7 and in 14 days.
    """

    head_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    role: str = Field(default="", primary_key=True, max_length=64)
    competency: str = Field(default="", primary_key=True, max_length=64)
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0


class TeamTotalsState(SQLModel, table=True):
    """When the kept totals were counted (`as_of`, None before the first time), with which level rule (the
    fitted model's bars and the mastery threshold, as JSON) and on which org chart (`changes`: the org state's
    write counter, `OrgState.changes`, read before the count): totals counted under another rule, or before
    the last import that changed the chart (`OrgState.digest_changes`), are not used. Its one row is also the
    lock that keeps two processes from refreshing at once."""

    name: str = Field(primary_key=True, max_length=16)
    as_of: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rule: str = Field(default="", max_length=400)
    changes: int | None = Field(default=None, sa_type=BigInteger)
