"""Use case: a manager acts on the summary — assigns a focus, or nudges someone who has gone quiet.

Either way the learner hears it from the coach: a lesson is queued for them (a pending delivery, due when
their lesson window next opens) carrying who asked and why, and the dispatcher sends it like any other,
retries included, so it reaches them even if this process stops right after.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.engine.mastery import SkillState
from bot.engine.next_lesson import Plan, plan_in, plan_next
from bot.engine.reads import SessionReads
from bot.engine.targets import FOCUS_DEFAULT_LEVEL
from bot.lessons.lessons import create_from_plan, policy_config
from bot.lessons.progress import competency_names
from bot.lessons.schedule import window_opening, zone_of
from bot.replies import Moment, Phrase, Reply, Text
from bot.services import Services
from bot.team.mentions import find_report
from bot.team.view import first_name
from store import groups, people
from store.models import Focus, Person

NOT_A_MANAGER = ("`/team` shows a summary of the people who report to you, and the org chart lists no one "
                 "reporting to you. If that's wrong, ask your HR or L&D admin to update the org chart.\n"
                 "Your team's averages and what your peers are learning: `/learn team`.")
NOT_FOUND = ("I can't find “{typed}” among the people who report to you. Try their full name, their email "
             "or an @mention.")
REASON = re.compile(r"\s+(?:because|—|--|-)\s+|:\s+", re.IGNORECASE)
NUDGE_GAP = timedelta(hours=20)


async def assign(services: Services, manager_id: int, args: str) -> Reply:
    """`/team assign <person> <competency> [because <why>]`."""
    head, _, reason = (part.strip() for part in _split_reason(args))
    async with services.database.session() as session:
        ids = await people.report_ids(session, manager_id)
        if not ids:
            return Reply.text(NOT_A_MANAGER, ephemeral=True)
        names = await competency_names(session)
        split = _split_competency(head, names)
        if split is None:
            listed = ", ".join(f"`{c}` ({n})" for c, n in sorted(names.items(), key=lambda kv: kv[1]))
            return Reply.text(f"Which competency? `/team assign <person> <competency>`, for example "
                              f"`/team assign ben procurement`. Competencies: {listed}.", ephemeral=True)
        typed, competency = split
        found = find_report(typed, await people.people(session, ids), await people.identities_of(session, ids))
        if found.candidates:
            listed = ", ".join(f"{p.name} ({p.email})" for p in found.candidates[:10])
            return Reply.text(f"Several of your reports match “{typed}”: {listed}. Which one?", ephemeral=True)
        if found.person is None or found.person.id not in ids:
            return Reply.text(NOT_FOUND.format(typed=typed), ephemeral=True)
        report_id = found.person.id
    return await focus(services, manager_id, report_id, competency, reason=reason or None)


async def focus(services: Services, manager_id: int, report_id: int, competency: str, *, reason: str | None) -> Reply:
    """Make the competency the report's focus and queue its first lesson, with who asked and why."""
    now = services.clock()
    async with services.database.session() as session:
        manager, report = await _pair(session, manager_id, report_id)
        names = await competency_names(session)
        if report is None or manager is None:
            return Reply.text(NOT_FOUND.format(typed="that person"), ephemeral=True)
        if competency not in names:
            return Reply.text("That competency no longer exists.", ephemeral=True)
        assert report.id is not None
        name, who = names[competency], first_name(report.name)
        ctx = await load_learner(session, report.id)
        model = await load_model(session)
        level = model.level(ctx.skill_states().get(competency) or SkillState.from_json(None),
                            services.config.mastery_threshold)
        target = max(ctx.role_needs.get(competency, 0), FOCUS_DEFAULT_LEVEL)  # the learner's goal is theirs
        current = ctx.targets.get(competency)
        already = Reply.text(f"{name} is already {who}'s focus (level {level} of {target}).", ephemeral=True)
        if current is not None and current.source == "focus":
            return already
        if level >= target:
            return Reply.text(f"{who} already shows level {level} in {name}, which is what their targets ask for "
                              f"(level {target}): there is nothing to focus on.", ephemeral=True)
        why = f": “{reason}”" if reason else f" — your targets ask for level {target}, and you're at level {level}"
        note = f"{manager.name} (your manager) asked you to focus on {name}{why}."
        try:  # one open focus per competency (a unique index): a double click assigns it once
            async with session.begin_nested():
                session.add(Focus(person_id=report.id, competency_id=competency, assigned_by=manager_id,
                                  reason=note, created_at=now))
        except IntegrityError:
            return already
        ctx = await load_learner(session, report.id)
        plan = await plan_in(SessionReads(session), ctx, model, competency, policy_config(services), now)
        if plan is None:
            return Reply.text(f"Done — {name} is now {who}'s focus. There is no lesson for their level in it yet, "
                              f"so they'll see it in `/learn progress` and get lessons as soon as L&D adds some.",
                              ephemeral=True)
        when = await _queue(services, session, report, plan, origin="focus", reason=note, manager_id=manager_id)
    return Reply.text(f"Done — {name} is now {who}'s focus: their lessons work on it first until they reach "
                      f"level {target}. {who} gets the first one, with your note, " + when + ".", ephemeral=True)


async def nudge(services: Services, manager_id: int, report_id: int) -> Reply:
    """A friendly lesson for someone who has gone quiet (at most one nudge a day)."""
    now = services.clock()
    async with services.database.session() as session:
        manager, report = await _pair(session, manager_id, report_id)
        if report is None or manager is None:
            return Reply.text(NOT_FOUND.format(typed="that person"), ephemeral=True)
        assert report.id is not None
        who = first_name(report.name)
        too_soon = Reply.text(f"{who} already got a lesson from you today; let's give it a little time.",
                              ephemeral=True)
        if await groups.recent_nudge(session, report.id, now - NUDGE_GAP):
            return too_soon
        ctx = await load_learner(session, report.id)
        plan = await plan_next(SessionReads(session), ctx, await load_model(session), now, policy_config(services))
        if plan is None:
            return Reply.text(f"{who} has met every target I know of and has no review due, so there is no lesson "
                              "to nudge them with.", ephemeral=True)
        note = (f"{manager.name} (your manager) sent you a nudge: here's a two-minute lesson for when you "
                "have a moment.")
        try:  # the day's nudge is a slot of its own, unique per learner: a double click queues one lesson
            async with session.begin_nested():
                when = await _queue(services, session, report, plan, origin="nudge", reason=note,
                                    manager_id=manager_id, daily=True)
        except IntegrityError:
            return too_soon
    return Reply.text(f"Nudge sent — {who} gets a lesson with a note from you " + when + ".", ephemeral=True)


async def _pair(session: AsyncSession, manager_id: int, report_id: int) -> tuple[Person | None, Person | None]:
    """The manager, and the report only if they are one of the manager's (direct or indirect)."""
    if not await people.is_below(session, manager_id, report_id):
        return None, None
    return await session.get(Person, manager_id), await session.get(Person, report_id)


async def _queue(services: Services, session: AsyncSession, report: Person, plan: Plan, *, origin: str, reason: str,
                 manager_id: int, daily: bool = False) -> Text:
    """A pending delivery the dispatcher sends at the next moment inside the learner's window; says when (a
    moment the manager's client shows on their own clock; its words name the learner's zone).
    A `daily` one takes the slot `<origin>:<the learner's local date>`, which the unique `(person_id, slot)`
    key allows once."""
    assert report.id is not None
    now = services.clock()
    ctx = await load_learner(session, report.id)
    zone = zone_of(ctx.settings, report)
    due, tz = window_opening(ctx.settings, zone, now), ZoneInfo(zone)
    await create_from_plan(services, session, report.id, plan, origin=origin, reason=reason, requested_by=manager_id,
                           slot=f"{origin}:{now.astimezone(tz).date().isoformat()}" if daily else None,
                           pending_from=due)
    if due <= now:
        return "right away"
    return Phrase.of("when their lesson window opens: ", Moment(due, zone))


def _split_reason(args: str) -> tuple[str, str, str]:
    match = REASON.search(args)
    if match is None:
        return args, "", ""
    return args[:match.start()], match.group(0), args[match.end():]


def _split_competency(text: str, names: dict[str, str]) -> tuple[str, str] | None:
    """(person, competency id): the longest ending of the words that names a competency, the rest the person."""
    words = text.split()
    for cut in range(1, len(words)):
        competency = _competency(" ".join(words[cut:]), names)
        if competency is not None:
            return " ".join(words[:cut]), competency
    return None


def _competency(words: str, names: dict[str, str]) -> str | None:
    wanted = words.strip().lower()
    for competency, name in names.items():
        if wanted in (competency.lower(), name.lower()):
            return competency
    partial = [c for c, n in names.items() if wanted in n.lower() or wanted in c.lower()]
    return partial[0] if len(partial) == 1 else None

