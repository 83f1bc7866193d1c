"""Learner and team reports as plain data: the JSON of `coach report` (CONTRACTS.md) and the numbers
behind the chat summaries. Mastery is computed from the model here, at read time, against each
person's current targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.mastery import MasteryModel
from bot.errors import UnknownPerson
from bot.usecases.progress import competency_names, competency_rows, learner_streak
from store import people
from store.models import Answer, Delivery, Person


@dataclass
class MemberReport:
    """One person's report; `as_json()` is the CONTRACTS.md learner object."""

    ctx: LearnerContext
    competencies: list[dict[str, Any]]
    streak_days: int
    deliveries: list[dict[str, Any]]

    def as_json(self, *, with_deliveries: bool = True) -> dict[str, Any]:
        person = self.ctx.person
        data: dict[str, Any] = {"email": person.email, "name": person.name, "role": person.role_id,
                                "streak_days": self.streak_days, "competencies": self.competencies}
        if with_deliveries:
            data["deliveries"] = self.deliveries
        return data


async def learner_report(session: AsyncSession, email: str, now: datetime, threshold: float) -> dict[str, Any]:
    """`coach report learner EMAIL --json`."""
    person = await people.person_by_email(session, email)
    if person is None or person.id is None:
        raise UnknownPerson(email)
    model = await load_model(session)
    names = await competency_names(session)
    report = await member_report(session, person.id, model, names, now, threshold, with_deliveries=True)
    return report.as_json()


async def member_report(session: AsyncSession, person_id: int, model: MasteryModel, names: dict[str, str],
                        now: datetime, threshold: float, *, with_deliveries: bool) -> MemberReport:
    ctx = await load_learner(session, person_id)
    rows = competency_rows(ctx, model, names, threshold)
    competencies = [
        {"id": r.competency_id, "name": r.name, "mastery": r.mastery, "level": r.level, "target_level": r.target,
         "attempts": r.attempts, "correct": r.correct, "source": r.why}
        for r in rows
    ]
    history = await delivery_history(session, person_id) if with_deliveries else []
    return MemberReport(ctx, competencies, await learner_streak(session, ctx, now), history)


async def delivery_history(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """Every lesson sent to the person, oldest first, with whether and how it was answered."""
    rows = await session.exec(
        select(Delivery, Answer.id, Answer.correct)
        .outerjoin(Answer, col(Answer.delivery_id) == Delivery.id)
        .where(Delivery.person_id == person_id, col(Delivery.sent_at).is_not(None))
        .order_by(col(Delivery.sent_at), col(Delivery.id))
    )
    return [
        {"lesson": d.lesson_id, "kind": d.kind, "origin": d.origin,
         "sent_at": d.sent_at.isoformat() if d.sent_at else None,
         "answered": answer_id is not None, "correct": correct}
        for d, answer_id, correct in rows.all()
    ]


async def team_report(session: AsyncSession, manager_email: str, now: datetime, threshold: float) -> dict[str, Any]:
    """`coach report team EMAIL --json`: all direct and indirect reports, and per competency the average
    mastery and who is below target."""
    manager = await people.person_by_email(session, manager_email)
    if manager is None or manager.id is None:
        raise UnknownPerson(manager_email)
    members = await team_members(session, manager.id, now, threshold)
    return {"manager": manager.email, "members": [m.as_json(with_deliveries=False) for m in members],
            "competencies": competency_summary(members)}


async def team_members(session: AsyncSession, manager_id: int, now: datetime, threshold: float) -> list[MemberReport]:
    ids = await people.report_ids(session, manager_id)
    model = await load_model(session)
    names = await competency_names(session)
    return [await member_report(session, person.id, model, names, now, threshold, with_deliveries=False)
            for person in await people.people(session, ids) if person.id is not None]


def competency_summary(members: list[MemberReport]) -> list[dict[str, Any]]:
    """Per competency that anyone in the team needs or has practised: average mastery and who is below."""
    by_competency: dict[str, list[tuple[Person, dict[str, Any]]]] = {}
    for member in members:
        for competency in member.competencies:
            by_competency.setdefault(competency["id"], []).append((member.ctx.person, competency))
    summary = []
    for competency_id, entries in sorted(by_competency.items()):
        masteries = [c["mastery"] for _, c in entries]
        summary.append({
            "id": competency_id,
            "name": entries[0][1]["name"],
            "average_mastery": round(sum(masteries) / len(masteries), 3),
            "below_target": sorted(p.email for p, c in entries if c["level"] < c["target_level"]),
            "with_target": sum(1 for _, c in entries if c["target_level"] > 0),
        })
    return summary
