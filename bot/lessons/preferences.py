"""Use cases the learner owns: settings, pause and resume, goal role, suggestions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.engine.mastery import SkillState
from bot.engine.next_lesson import plan_next, working_gaps
from bot.engine.reads import SessionReads
from bot.lessons import away
from bot.lessons.lessons import policy_config
from bot.lessons.progress import competency_names
from bot.lessons.schedule import next_slot_for, parse_clock, zone_of
from bot.replies import Button, Choice, Notice, Reply, SettingsForm
from bot.services import Services
from content.limits import FORMATS
from store import learning, people
from store.models import LearnerSettings, PausePeriod, Person, RoleRequirement, Suggestion

SOURCES = {"focus": "a focus your manager set", "goal": "your goal", "role": "your role", "interest": "your interest"}
PATH_SHOWN = 6
FORMAT_LABELS = {"text": "Reading", "video": "Video", "scenario": "Scenarios", "reflection": "Reflection",
                 "task": "Hands-on tasks"}


class SettingsError(ValueError):
    """A settings value a person must correct; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def settings_form(services: Services, person_id: int) -> SettingsForm:
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        roles = await learning.role_names(session)
        names = await competency_names(session)
        manages = await people.manages_anyone(session, person_id)
    s = ctx.settings
    return SettingsForm(
        person_id=person_id, days=s.days, window_start=s.window_start, window_end=s.window_end,
        lessons_per_day=s.lessons_per_day, timezone=zone_of(ctx.settings, ctx.person), formats=list(s.formats or []),
        goal_role=s.goal_role_id if s.goal_role_id != ctx.person.role_id else None,
        interests=list(s.interests or []), show_name_to_peers=s.show_name_to_peers,
        shoutout_opt_in=s.shoutout_opt_in, digest_opt_in=s.digest_opt_in, is_manager=manages,
        role_choices=[Choice(k, v) for k, v in roles.items() if k != ctx.person.role_id],  # a goal is another role
        competency_choices=[Choice(k, v) for k, v in sorted(names.items(), key=lambda kv: kv[1])],
        format_choices=[Choice(f, FORMAT_LABELS[f]) for f in FORMATS],
        away_until=s.away_until if s.away_until and s.away_until >= _today(services, s, ctx.person) else None,
    )


async def save_settings(services: Services, person_id: int, values: dict[str, Any]) -> Reply:
    """Apply the submitted form; raises SettingsError naming the first bad field (nothing is saved)."""
    async with services.database.session() as session:
        settings = await session.get(LearnerSettings, person_id)
        person = await session.get(Person, person_id)
        assert settings is not None and person is not None
        known_roles = set((await learning.role_names(session)).keys())
        known_competencies = set((await competency_names(session)).keys())
        _apply(settings, values, known_roles, known_competencies, own_role=person.role_id)
        if "away_until" in values:
            await _apply_away(session, settings, person, values["away_until"], services.clock())
        _reschedule(settings, zone_of(settings, person), services.clock())
        session.add(settings)
    return Reply.text("Saved. " + schedule_sentence(settings), ephemeral=True)


async def _apply_away(session: AsyncSession, settings: LearnerSettings, person: Person, value: Any,
                      now: datetime) -> None:
    """The form's "away until" field: a date (or ISO text), or empty when not away."""
    zone = zone_of(settings, person)
    text = value.isoformat() if isinstance(value, date) else str(value or "").strip() or "off"
    try:
        last_day = away.parse_day(text, now.astimezone(ZoneInfo(zone)).date())
    except ValueError as exc:
        raise SettingsError("away_until", str(exc)) from None
    await away.set_away(session, settings, zone, last_day, now)


def _today(services: Services, settings: LearnerSettings, person: Person) -> date:
    return services.clock().astimezone(ZoneInfo(zone_of(settings, person))).date()


def _apply(settings: LearnerSettings, values: dict[str, Any], roles: set[str], competencies: set[str], *,
           own_role: str | None) -> None:
    if "days" in values:
        days = "".join(sorted({str(d) for d in values["days"] if str(d) in "1234567"}))
        if not days:
            raise SettingsError("days", "Pick at least one day for lessons (or pause instead).")
        settings.days = days
    start = values.get("window_start", settings.window_start)
    end = values.get("window_end", settings.window_end)
    try:
        opens, closes = parse_clock(start), parse_clock(end)
    except ValueError as exc:
        raise SettingsError("window_start", str(exc)) from None
    if opens >= closes:
        raise SettingsError("window_end", "The window must end after it starts.")
    settings.window_start = parse_clock(start).strftime("%H:%M")
    settings.window_end = parse_clock(end).strftime("%H:%M")
    if "lessons_per_day" in values:
        try:
            per_day = int(values["lessons_per_day"])
        except (TypeError, ValueError):
            per_day = 0
        if not 1 <= per_day <= 5:
            raise SettingsError("lessons_per_day", "Lessons per day must be between 1 and 5.")
        settings.lessons_per_day = per_day
    if values.get("timezone"):
        if values["timezone"] not in available_timezones():
            raise SettingsError("timezone", f"'{values['timezone']}' is not a time zone like Europe/Paris.")
        settings.timezone = values["timezone"]
    if "formats" in values:
        settings.formats = [f for f in values["formats"] if f in FORMATS]
    if "goal_role" in values:
        goal = values["goal_role"] or None
        if goal is not None and goal not in roles:
            raise SettingsError("goal_role", f"There is no role '{goal}'.")
        if goal is not None and goal == own_role:
            raise SettingsError("goal_role", "That is already your role: pick another role to grow into, or none.")
        settings.goal_role_id = goal
    if "interests" in values:
        settings.interests = [c for c in values["interests"] if c in competencies]
    for flag in ("show_name_to_peers", "shoutout_opt_in", "digest_opt_in"):
        if flag in values:
            setattr(settings, flag, bool(values[flag]))


def _reschedule(settings: LearnerSettings, zone: str, now: datetime) -> None:
    slot = next_slot_for(settings, zone, now)
    settings.next_slot_at = slot.at if slot else None
    settings.updated_at = now


def schedule_sentence(settings: LearnerSettings, zone: str | None = None) -> str:
    """The learner's schedule in one sentence (settings replies, the welcome)."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = ", ".join(names[int(d) - 1] for d in settings.days)
    per_day = "one lesson" if settings.lessons_per_day == 1 else f"{settings.lessons_per_day} lessons"
    zone = settings.timezone or zone or "your time zone"
    return f"You'll get {per_day} a day on {days}, between {settings.window_start} and {settings.window_end} ({zone})."


async def pause(services: Services, person_id: int) -> Reply:
    async with services.database.session() as session:
        settings = await session.get(LearnerSettings, person_id)
        assert settings is not None
        if settings.paused:
            return Reply.text("You're already paused. `/learn resume` when you're ready.")
        settings.paused = True
        session.add(settings)
        session.add(PausePeriod(person_id=person_id, started_at=services.clock()))
    return Reply.text("Paused — no scheduled lessons until you say `/learn resume`. Your streak is safe, and "
                      "you can still ask for a lesson any time with `/learn`.")


async def resume(services: Services, person_id: int) -> Reply:
    async with services.database.session() as session:
        settings = await session.get(LearnerSettings, person_id)
        person = await session.get(Person, person_id)
        assert settings is not None and person is not None
        if not settings.paused:
            return Reply.text("You're not paused. " + schedule_sentence(settings))
        now = services.clock()
        settings.paused = False
        await _close_pauses(session, person_id, now)
        _reschedule(settings, zone_of(settings, person), now)
        session.add(settings)
    return Reply.text("Welcome back! " + schedule_sentence(settings))


async def _close_pauses(session: AsyncSession, person_id: int, now: datetime) -> None:
    rows = await session.exec(select(PausePeriod).where(PausePeriod.person_id == person_id,
                                                        col(PausePeriod.ended_at).is_(None)))
    for period in rows.all():
        period.ended_at = now
        session.add(period)


async def set_goal(services: Services, person_id: int, words: str) -> Reply:
    """`/learn goal <role>`: show the gap between the learner's levels and that role's targets, set it as
    their path, and say in which order the coach will work on it (the engine's own order)."""
    async with services.database.session() as session:
        roles = await learning.role_names(session)
        role_id = _match_role(words, roles)
        if role_id is None:
            listed = ", ".join(f"`{k}` ({v})" for k, v in roles.items())
            asked = f"I don't know the role “{words}”." if words.strip() else "Which role?"
            return Reply.text(f"{asked} Roles: {listed}.")
        person = await session.get(Person, person_id)
        assert person is not None
        if role_id == person.role_id:
            return Reply.text(f"{roles[role_id]} is already your role, so your lessons already work on its targets "
                              "(`/learn progress` shows them). A goal is a role you'd like to grow into: try "
                              "another one.")
        settings = await session.get(LearnerSettings, person_id)
        assert settings is not None
        settings.goal_role_id = role_id
        session.add(settings)
        await session.flush()
        ctx = await load_learner(session, person_id)
        model = await load_model(session)
        names = await competency_names(session)
        needs = (await session.exec(select(RoleRequirement).where(RoleRequirement.role_id == role_id))).all()
        first = await plan_next(SessionReads(session), ctx, model, services.clock(), policy_config(services),
                                allow_review=False)
        gaps_now = await working_gaps(SessionReads(session), ctx)
    states = ctx.skill_states()
    lines = []
    for need in sorted(needs, key=lambda n: names.get(n.competency_id, n.competency_id)):
        level = model.level(states.get(need.competency_id) or SkillState.from_json(None),
                            services.config.mastery_threshold)
        mark = "✅" if level >= need.level else f"gap {need.level - level}"
        lines.append(f"• {names.get(need.competency_id, need.competency_id)}: level {level} of {need.level} — {mark}")
    gaps = sum(1 for line in lines if "gap" in line)
    if not gaps:
        return Reply(messages=[_goal_notice(roles[role_id], lines, "You already meet every target of this role!")])
    path = [f"{n}. {names.get(t.competency, t.competency)} — level {level} → {t.level} ({SOURCES[t.source]})"
            for n, (t, level) in enumerate(gaps_now[:PATH_SHOWN], 1)]
    summary = (f"{gaps} competenc{'y' if gaps == 1 else 'ies'} to grow. **Your path**, in the order your lessons "
               "work on it:\n" + "\n".join(path))
    if first is not None:
        summary += f"\n\nFirst up: _{first.lesson.title}_ ({names.get(first.competency, first.competency)})."
    return Reply(messages=[_goal_notice(roles[role_id], lines, summary)])


def _goal_notice(role: str, lines: list[str], summary: str) -> Notice:
    text = f"**Goal: {role}**\n" + "\n".join(lines) + f"\n\n{summary}"
    return Notice(text, [Button("Lesson now", "next", {}, "primary")])


async def named_role(services: Services, words: str) -> str | None:
    """The role the words name, as `/learn goal` matches it, or None (then the words may be a topic)."""
    async with services.database.session() as session:
        return _match_role(words, await learning.role_names(session))


def _match_role(words: str, roles: dict[str, str]) -> str | None:
    wanted = words.strip().lower()
    for role_id, name in roles.items():
        if wanted in (role_id.lower(), name.lower()):
            return role_id
    matches = [r for r, n in roles.items() if wanted and (wanted in n.lower() or wanted in r.lower())]
    return matches[0] if len(matches) == 1 else None


async def suggest(services: Services, person_id: int, text: str) -> Reply:
    text = text.strip()
    if not text:
        return Reply.text("Tell me the topic: `/learn suggest how to read a P&L`.")
    async with services.database.session() as session:
        session.add(Suggestion(person_id=person_id, text=text[:1000], created_at=services.clock()))
    return Reply.text("Thanks — I've passed your suggestion to the L&D team.")

