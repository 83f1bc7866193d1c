"""Where each person of a group stands: levels against targets, engagement and trend, loaded for the whole
group in a fixed number of queries (a manager's summary, the weekly digest, a learner's team view).

The numbers are the ones the learner sees in `/learn progress` — the same mastery model and threshold, the
same streak rule — against the targets the viewer may see: a manager (and a teammate) sees the role's
requirements and the manager's focus only; the learner's goal role and interests are their own plan, shown
only in their own views (`personal`). Everything is counted up to the coach's clock, never past it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel
from bot.engine.targets import learner_targets
from bot.lessons.progress import competency_rows
from bot.lessons.schedule import away_on, zone_of
from bot.lessons.streaks import LOOKBACK_DAYS, group_streaks
from bot.replies import CompetencyRow, Engagement
from store import groups, people
from store.groups import AnswerMark
from store.learning import DEFAULT_ROLE
from store.models import LearnerSettings, PausePeriod, Person

RECENT_DAYS = 35
"""Answers read for every member: enough for 7- and 30-day counts, the trend, and most streaks."""
QUIET_DAYS = 14
TREND_DAYS = 30
FALL = 0.15
"""How far below its peak in the trend window mastery (0–1) must have dropped to count as falling."""
TREND_MIN_ANSWERS = 3


@dataclass
class Standing:
    """One person of the group, as summaries show them."""

    ctx: LearnerContext
    rows: list[CompetencyRow]
    engagement: Engagement
    falling: dict[str, tuple[float, float]] = field(default_factory=dict)  # competency -> (from, to)
    quiet: bool = False

    @property
    def person(self) -> Person:
        return self.ctx.person

    @property
    def id(self) -> int:
        return self.ctx.id

    def row(self, competency: str) -> CompetencyRow | None:
        return next((r for r in self.rows if r.competency_id == competency), None)


async def load_standings(session: AsyncSession, ids: list[int], model: MasteryModel, names: dict[str, str],
                         now: datetime, threshold: float, *, personal: Collection[int] = ()) -> list[Standing]:
    """Everyone in `ids`, sorted by name; the people in `personal` with their goal and interests too."""
    members = await people.people(session, ids)
    wanted = [p.id for p in members if p.id is not None]
    contexts = await _contexts(session, members, set(personal))
    read_since = now - timedelta(days=RECENT_DAYS)
    by_person: dict[int, list[AnswerMark]] = defaultdict(list)
    for mark in await groups.answers_since(session, wanted, read_since, until=now):
        by_person[mark.person_id].append(mark)
    pauses = await groups.pauses_of(session, wanted, now - timedelta(days=LOOKBACK_DAYS))
    answered = {i: [m.answered_at for m in marks] for i, marks in by_person.items()}
    streaks = await group_streaks(session, contexts, answered, pauses, now, read_since)
    quiet_ids = [i for i in wanted if not by_person[i]]
    older = await groups.last_answer_at(session, quiet_ids, until=now)
    standings = []
    for person in members:
        assert person.id is not None
        ctx = contexts[person.id]
        marks = by_person[person.id]
        last = marks[-1].answered_at if marks else older.get(person.id)
        engagement = Engagement(
            answered_7=sum(m.answered_at >= now - timedelta(days=7) for m in marks),
            answered_30=sum(m.answered_at >= now - timedelta(days=30) for m in marks),
            streak_days=streaks[person.id],
            last_active=last,
        )
        standings.append(Standing(
            ctx=ctx, rows=competency_rows(ctx, model, names, threshold), engagement=engagement,
            falling=_falling([m for m in marks if m.answered_at >= now - timedelta(days=TREND_DAYS)]),
            quiet=_quiet(ctx, person, last, pauses[person.id], now),
        ))
    return standings


def _quiet(ctx: LearnerContext, person: Person, last: datetime | None, pauses: list[PausePeriod],
           now: datetime) -> bool:
    """Nothing answered for QUIET_DAYS, counted from the later of the last answer and the end of the last
    pause or time away: someone back from three weeks off is not quiet on their first day back."""
    local_today = now.astimezone(ZoneInfo(zone_of(ctx.settings, person))).date()
    if ctx.settings.paused or away_on(ctx.settings, local_today):
        return False
    back = [min(p.ended_at or now, now) for p in pauses]
    since = max([moment for moment in (last, *back) if moment is not None], default=None)
    return since is None or since < now - timedelta(days=QUIET_DAYS)


async def _contexts(session: AsyncSession, members: list[Person], personal: set[int]) -> dict[int, LearnerContext]:
    """The engine's view of each member, from five queries for the whole group (see `load_learner`); the
    targets of anyone not in `personal` leave out their goal role and interests."""
    ids = [p.id for p in members if p.id is not None]
    settings = await groups.settings_of(session, ids)
    states = await groups.states_of(session, ids)
    focuses = await groups.focuses_of(session, ids)
    roles = {p.role_id or DEFAULT_ROLE for p in members} | {s.goal_role_id for s in settings.values() if s.goal_role_id}
    needs = await groups.requirements_of(session, roles)
    contexts = {}
    for person in members:
        assert person.id is not None
        mine = settings.get(person.id) or LearnerSettings(person_id=person.id)
        role = needs.get(person.role_id or DEFAULT_ROLE, {})
        goal = needs.get(mine.goal_role_id, {}) if mine.goal_role_id else {}
        relevance = {c: s.relevance for c, s in states[person.id].items()}
        own = person.id in personal
        targets = learner_targets(role, goal if own else {}, [f.competency_id for f in focuses[person.id]],
                                  (mine.interests or []) if own else [], relevance)
        contexts[person.id] = LearnerContext(person=person, settings=mine, targets=targets, states=states[person.id],
                                             role_needs=role, goal_needs=goal)
    return contexts


def _falling(marks: list[AnswerMark]) -> dict[str, tuple[float, float]]:
    """Competencies whose mastery fell on each of the last two answers, ending at least FALL below its peak
    in the trend window: (peak, latest). One slip after progress is not a fall."""
    trail: dict[str, list[float]] = defaultdict(list)
    for mark in marks:
        if mark.mastery_after is not None:
            trail[mark.competency].append(mark.mastery_after)
    return {c: (max(values), values[-1]) for c, values in trail.items()
            if len(values) >= TREND_MIN_ANSWERS and values[-1] < values[-2] < values[-3]
            and max(values) - values[-1] >= FALL}
