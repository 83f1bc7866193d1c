"""Learner and team reports as plain data: the JSON of `coach report` (CONTRACTS.md). They are built from
the standings that `/team` shows (`bot.team.roster.load_standings`: mastery from the model at read time against
the role's targets and the manager's focus, the same streak), so a report and the chat never disagree. A
learner's goal role is their own plan: the learner report lists it apart (`goal`), never as a target.
Team figures count only people with answers in the competency: before the first answer, `mastery` is the
model's prior (which depends on the target level), not a result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.mastery import MasteryModel, SkillState
from bot.errors import CoachError, UnknownPerson
from bot.lessons.progress import competency_names
from bot.replies import Choice, CompetencyRow, LevelCounts, Moment, TeamGroup, TeamSummary
from bot.team.roster import Standing, load_standings
from store import people
from store.models import Answer, Delivery, Person


async def learner_report(session: AsyncSession, email: str, now: datetime, threshold: float) -> dict[str, Any]:
    """`coach report learner EMAIL --json`."""
    person = await people.person_by_email(session, email)
    if person is None or person.id is None:
        raise UnknownPerson(email)
    model = await load_model(session)
    [standing] = await _standings(session, [person.id], model, now, threshold)
    return {**member_json(standing), "goal": goal_json(standing, model, threshold),
            "deliveries": await delivery_history(session, person.id)}


def goal_json(standing: Standing, model: MasteryModel, threshold: float) -> dict[str, Any] | None:
    """The goal role the learner chose, with their level against each of its targets (None without one)."""
    role = standing.ctx.settings.goal_role_id
    if not role:
        return None
    states = standing.ctx.skill_states()
    return {"role": role, "competencies": [
        {"id": competency, "target_level": level,
         "level": model.level(states.get(competency) or SkillState.from_json(None), threshold),
         "attempts": standing.ctx.state(competency).attempts}
        for competency, level in sorted(standing.ctx.goal_needs.items())]}


def member_json(standing: Standing) -> dict[str, Any]:
    """The CONTRACTS.md learner object, without its deliveries."""
    person = standing.person
    return {"email": person.email, "name": person.name, "role": person.role_id,
            "streak_days": standing.engagement.streak_days,
            "competencies": [
                {"id": r.competency_id, "name": r.name, "mastery": r.mastery, "level": r.level,
                 "target_level": r.target, "attempts": r.attempts, "correct": r.correct, "source": r.why}
                for r in standing.rows]}


async def _standings(session: AsyncSession, ids: list[int], model: MasteryModel, now: datetime,
                     threshold: float) -> list[Standing]:
    """The people's standings exactly as `/team` counts them (`bot.team.roster`)."""
    return await load_standings(session, ids, model, await competency_names(session), now, threshold)


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


async def team_report(session: AsyncSession, manager_email: str, now: datetime, threshold: float, *,
                      members: bool = False, under: int | None = None) -> dict[str, Any]:
    """`coach report team EMAIL --json`: all direct and indirect reports (`people`) and per competency how
    they stand against target. A team larger than `GROUP_ABOVE` comes in `groups` as `/team` shows it (by
    direct report, or a flat team by role and name range), with `members` (everyone, person by person) only
    when asked for; a smaller team lists its `members` always. A large team with sub-managers is counted by
    the database (`counted`: true): its groups and competencies carry counts only, no one's row is read (and
    `members` loads everyone). `under` opens the group of someone below the manager a level down, as its Show
    button does. `as_of` (when the counted figures were counted) is ISO 8601 on the manager's clock, with its
    UTC offset. Read in a fixed number of queries, whatever the team's size."""
    from bot.team.summary import group_view, team_view

    manager = await people.person_by_email(session, manager_email)
    if manager is None or manager.id is None:
        raise UnknownPerson(manager_email)
    if under is not None:
        shown = await group_view(session, manager.id, under, now, threshold, everyone=members)
        if shown is None:
            raise CoachError(f"No one with id {under} reports to {manager.email}: --under opens only a group of "
                             "their own team (a group's `head` in this report's JSON).")
    else:
        shown = await team_view(session, manager.id, now, threshold, everyone=members)
    if shown is None:
        return {"manager": manager.email, "people": 0, "competencies": [], "members": []}
    view, standings = shown.summary, shown.standings
    data: dict[str, Any] = {"manager": manager.email, "people": view.people}
    if under is not None:
        data.update(under=under, title=view.scope)
    data["competencies"] = counted_competencies(view) if view.counted else competency_summary(standings)
    if view.counted and view.as_of is not None:
        data.update(counted=True, as_of=Moment(view.as_of, view.zone).local.isoformat())
    if view.grouped:
        data["groups"] = [group_json(group, view.competencies) for group in view.groups]
    if standings and (members or not view.grouped):
        data["members"] = [member_json(s) for s in standings]
    return data


def group_json(group: TeamGroup, competencies: list[Choice]) -> dict[str, Any]:
    """One group of a large team's report: its size, how many are below target (in any competency, and per
    competency), how each competency stands (`levels`), engagement, its biggest gaps, and the button value that
    opens it in `/team` (`opens`; `head` for `--under`). Who needs attention by name (`quiet`,
    `needs_attention`) only where people were loaded, not in a group counted by the database."""
    data: dict[str, Any] = {
        "title": group.heading, "head": group.key, "people": group.people,
        "below_target_people": group.below_people,
        "below_target": {c.value: n for c, n in zip(competencies, group.below, strict=True) if n},
        "levels": {c.value: levels_json(n) for c, n in zip(competencies, group.levels, strict=True)
                   if n != LevelCounts()},
        "active_7": group.active_7, "active_14": group.active_14, "answered_7": group.answered_7,
        "answered_30": group.answered_30, "gaps": group.gaps,
        "opens": group.show.value if group.show else None}
    if group.headcount is None:
        data.update(quiet=group.quiet, needs_attention=group.needs_attention)
    return data


def levels_json(counts: LevelCounts) -> dict[str, int]:
    return {"met": counts.met, "one_below": counts.near, "two_or_more_below": counts.far, "no_answers": counts.new}


def counted_competencies(view: TeamSummary) -> list[dict[str, Any]]:
    """Per competency of a team counted by the database: how many people have a target in it and how they
    stand (no average mastery and no names: nobody's row was read)."""
    result = []
    for index, competency in enumerate(view.competencies):
        total = sum((g.levels[index] for g in view.groups), LevelCounts())
        result.append({"id": competency.value, "name": competency.label,
                       "with_target": total.answered + total.new, "with_evidence": total.answered,
                       "below_target_people": total.below, "levels": levels_json(total)})
    return result


def competency_summary(standings: list[Standing]) -> list[dict[str, Any]]:
    """Per competency that anyone in the team needs or has practised: average mastery and who is below target,
    over the people with answers in it (`with_evidence`; `average_mastery` is null when nobody has any)."""
    by_competency: dict[str, list[tuple[Person, CompetencyRow]]] = {}
    for standing in standings:
        for row in standing.rows:
            by_competency.setdefault(row.competency_id, []).append((standing.person, row))
    summary = []
    for competency_id, entries in sorted(by_competency.items()):
        answered = [(p, r) for p, r in entries if r.attempts > 0]
        masteries = [r.mastery for _, r in answered]
        summary.append({
            "id": competency_id,
            "name": entries[0][1].name,
            "average_mastery": round(sum(masteries) / len(masteries), 3) if masteries else None,
            "below_target": sorted(p.email for p, r in answered if r.level < r.target),
            "with_target": sum(1 for _, r in entries if r.target > 0),
            "with_evidence": len(answered),
        })
    return summary
