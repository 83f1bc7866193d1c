"""Use case: `/team` — a manager's view of their reports (direct and indirect), and nothing more.

Every path starts from the reports of the person asking, so a refusal never reveals whether anyone else
exists or what they did: `/team someone-not-mine` answers exactly like `/team someone-who-does-not-exist`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.ids import as_int
from bot.lessons.progress import competency_names, managers_above
from bot.lessons.schedule import zone_of
from bot.records.csv import team_csv
from bot.replies import Moment, Notice, PersonDetail, Reply, TeamSummary
from bot.services import Services
from bot.team import coaching, rollup
from bot.team.heatmap import heatmap_png
from bot.team.mentions import find_report
from bot.team.roster import Standing, load_standings
from bot.team.text import people as people_count
from bot.team.view import LIST_LIMIT, Org, detail, flat_group_summary, group_title, summary
from store import groups, learning, people
from store.models import LearnerSettings, Person

ACTIONS: tuple[str, ...] = ("team_summary", "team_group", "team_focus", "team_nudge", "manager_view")
NOT_A_MANAGER = coaching.NOT_A_MANAGER
NOT_FOUND = coaching.NOT_FOUND
RECENT_DAYS = 30
TEAM_HELP = """**Your team** — what you can do with `/team` (in Teams, type the same without the slash):
• `/team` — everyone who reports to you, directly or not: levels against targets, engagement, gaps
• `/team <name, @mention or email>` — one person in detail
• `/team assign <person> <competency>` — make a competency their focus (add `because …` to tell them why)
• `/team export` — the summary as a CSV file"""


@dataclass
class Team:
    manager: Person
    standings: list[Standing]
    org: Org
    names: dict[str, str]
    roles: dict[str, str]
    zone: str
    """The manager's zone (`reader_zone`), where the views' dates fall."""


async def reader_zone(session: AsyncSession, reader: Person) -> str:
    """The zone a person reads the team views in: their own, found as the learner views find a learner's
    (their settings, else the org chart's or chat profile's zone, else UTC: `zone_of`)."""
    assert reader.id is not None
    own = await session.get(LearnerSettings, reader.id)
    return zone_of(own or LearnerSettings(person_id=reader.id), reader)


async def run(services: Services, person_id: int, verb: str, args: str) -> Reply:
    if verb == "help":
        return Reply.text(TEAM_HELP, ephemeral=True)
    if verb == "assign":
        return await coaching.assign(services, person_id, args)
    if verb == "person":
        return await person_reply(services, person_id, args)
    if verb == "export":
        return await export_reply(services, person_id)
    return await summary_reply(services, person_id)


async def press(services: Services, person_id: int, action: str, value: dict[str, Any]) -> Reply:
    """The buttons of the team views; the person (or group) a button names is checked against the presser's
    reports."""
    target = as_int(value.get("p"))
    if action == "team_summary":
        return await summary_reply(services, person_id)
    if action == "manager_view":
        return await manager_view(services, person_id)
    if action == "team_group":
        return await group_reply(services, person_id, value)
    if target is None:
        return Reply.text("That button is no longer active.", ephemeral=True)
    if action == "team_nudge":
        return await coaching.nudge(services, person_id, target)
    competency = value.get("c")
    if action == "team_focus" and isinstance(competency, str):
        return await coaching.focus(services, person_id, target, competency, reason=None)
    return Reply.text("That button is no longer active.", ephemeral=True)


async def load_team(session: AsyncSession, manager_id: int, now: datetime, threshold: float) -> Team | None:
    """The manager and everyone below them, or None for someone who manages nobody. Targets are the role's
    and the manager's focus only: a learner's goal role and interests are their own business."""
    ids = await people.report_ids(session, manager_id)
    manager = await session.get(Person, manager_id)
    if not ids or manager is None:
        return None
    model = await load_model(session)
    names = await competency_names(session)
    standings = await load_standings(session, ids, model, names, now, threshold)
    manager_of = {s.id: s.person.manager_id for s in standings}
    links, left = await _leavers(session, manager_id, manager_of)
    return Team(manager, standings, Org(root=manager_id, manager_of={**links, **manager_of}, left=left), names,
                await learning.role_names(session), await reader_zone(session, manager))


async def _leavers(session: AsyncSession, root: int, manager_of: dict[int, int | None]) -> tuple[
        dict[int, int | None], dict[int, str]]:
    """Whoever stands between a member and the root but has left the org chart (not in the team): their
    managers and names, so that the people who reported to them are still placed under the right direct
    report. One query per level of leavers, none at all when nobody above a member has left."""
    links: dict[int, int | None] = {}
    left: dict[int, str] = {}
    missing = {m for m in manager_of.values() if m is not None and m != root and m not in manager_of}
    for _level in range(people.MAX_DEPTH):
        if not missing:
            break
        found = await people.people(session, missing)
        for person in found:
            assert person.id is not None
            links[person.id], left[person.id] = person.manager_id, person.name
        missing = {p.manager_id for p in found if p.manager_id is not None and p.manager_id != root
                   and p.manager_id not in manager_of and p.manager_id not in links}
    return links, left


@dataclass
class TeamView:
    """What a manager is shown, and the people's standings behind it when they were loaded (none when the
    database counted the groups: `bot.team.rollup`)."""

    summary: TeamSummary
    standings: list[Standing]


async def team_view(session: AsyncSession, manager_id: int, now: datetime, threshold: float, *,
                    everyone: bool = False) -> TeamView | None:
    """The manager's whole team: counted by the database when it is large and has sub-managers (unless
    `everyone`: the per-person rows are wanted; `bot.team.rollup.totals_of`), else loaded person by person.
    None for someone who manages nobody."""
    manager = await session.get(Person, manager_id)
    if manager is None:
        return None
    found = None if everyone else await rollup.totals_of(session, manager_id, now, await load_model(session),
                                                         threshold)
    if found is not None:
        view = await rollup.counted_summary(session, manager.name, found.totals, now,
                                            await competency_names(session), kept_at=found.kept_at,
                                            zone=await reader_zone(session, manager))
        return TeamView(view, [])
    team = await load_team(session, manager_id, now, threshold)
    if team is None:
        return None
    return TeamView(summary(team.manager.name, team.standings, team.org, team.names, now, team.zone,
                            roles=team.roles), team.standings)


async def group_view(session: AsyncSession, manager_id: int, head: int, now: datetime, threshold: float, *,
                     everyone: bool = False) -> TeamView | None:
    """The group of `head` (anyone below the manager: a Show button's `g`, `coach report team --under`) one
    level down: its own reports' groups counted by the database when it is large, else its people one by one.
    None when `head` is not below the manager — the same answer as for someone who does not exist."""
    if not await people.is_below(session, manager_id, head, leavers=True):
        return None
    manager, lead = await session.get(Person, manager_id), await session.get(Person, head)
    if manager is None or lead is None:
        return None
    title = group_title(lead.name, left=not lead.active)
    own = [head] if lead.active else []
    model, names, zone = await load_model(session), await competency_names(session), await reader_zone(session, manager)
    found = None if everyone else await rollup.totals_of(session, head, now, model, threshold, extra=len(own))
    if found is not None:
        standing = (await load_standings(session, own, model, names, now, threshold)) if own else []
        view = await rollup.counted_summary(session, manager.name, found.totals, now, names, scope=title,
                                            lead=standing[0] if standing else None, kept_at=found.kept_at,
                                            zone=zone)
        return TeamView(view, [])
    standings = await load_standings(session, own + await people.report_ids(session, head), model, names, now,
                                     threshold)
    if not standings:
        return None
    org = Org(root=head, manager_of={s.id: s.person.manager_id for s in standings})
    return TeamView(summary(manager.name, standings, org, names, now, zone, scope=title), standings)


async def team_summary(session: AsyncSession, manager_id: int, now: datetime, threshold: float) -> TeamSummary | None:
    shown = await team_view(session, manager_id, now, threshold)
    return shown.summary if shown else None


async def summary_reply(services: Services, person_id: int) -> Reply:
    """The summary with its heatmap as a PNG, for everyone; a summary that shows groups rather than people
    also brings the CSV, and past the drawing limit the CSV alone (a picture of hundreds of rows helps
    nobody)."""
    async with services.database.session() as session:
        view = await team_summary(session, person_id, services.clock(), services.config.mastery_threshold)
    if view is None:
        return Reply.text(NOT_A_MANAGER, ephemeral=True)
    day = file_day(services.clock(), view.zone)
    attachments = []
    if view.counted:
        return Reply(messages=[view], ephemeral=True)
    if view.people <= LIST_LIMIT:
        attachments.append((f"team-heatmap-{day}.png", await asyncio.to_thread(heatmap_png, view), "image/png"))
    if not view.listed:
        attachments.append((f"team-{day}.csv", team_csv(view), "text/csv"))
    return Reply(messages=[view], ephemeral=True, attachments=attachments)


def file_day(now: datetime, zone: str) -> str:
    """The day an attached file is named after (`team-2026-12-07.csv`): ISO 8601, the manager's day."""
    return Moment(now, zone).local.date().isoformat()


async def group_reply(services: Services, manager_id: int, value: dict[str, Any]) -> Reply:
    """A group's Show button: that group of the manager's own summary a level down (`g`: the group of anyone
    below the manager, `group_view`; `f`: a group of a flat team, person by person). A group that is not
    theirs answers exactly like one that does not exist."""
    now, threshold = services.clock(), services.config.mastery_threshold
    head, flat = as_int(value.get("g")), value.get("f")
    view = None
    async with services.database.session() as session:
        if not await people.manages_anyone(session, manager_id):
            return Reply.text(NOT_A_MANAGER, ephemeral=True)
        if head is not None:
            shown = await group_view(session, manager_id, head, now, threshold)
            view = shown.summary if shown else None
        elif isinstance(flat, str) and (team := await load_team(session, manager_id, now, threshold)) is not None:
            view = flat_group_summary(team.manager.name, team.standings, team.org, flat, team.names, team.roles, now,
                                      team.zone)
    if view is None:
        return Reply.text(NOT_FOUND.format(typed="that group"), ephemeral=True)
    return Reply(messages=[view], ephemeral=True)


async def export_reply(services: Services, person_id: int) -> Reply:
    async with services.database.session() as session:
        shown = await team_view(session, person_id, services.clock(), services.config.mastery_threshold,
                                everyone=True)
    if shown is None:
        return Reply.text(NOT_A_MANAGER, ephemeral=True)
    view = shown.summary
    note = Notice(f"Your team summary as a spreadsheet: {people_count(view.people)}, {len(view.competencies)} "
                  "competencies (level, target and mastery for each; level and mastery are empty where someone has "
                  "no answers yet).")
    return Reply(messages=[note], ephemeral=True,
                 attachments=[(f"team-{file_day(services.clock(), view.zone)}.csv", team_csv(view), "text/csv")])


async def person_reply(services: Services, manager_id: int, typed: str) -> Reply:
    """`/team <person>`: found only among the manager's own reports."""
    async with services.database.session() as session:
        ids = await people.report_ids(session, manager_id)
        if not ids:
            return Reply.text(NOT_A_MANAGER, ephemeral=True)
        if not typed.strip():
            return Reply.text("Whom should I show? `/team <name, @mention or email>`.", ephemeral=True)
        found = find_report(typed, await people.people(session, ids), await people.identities_of(session, ids))
        if found.candidates:
            listed = ", ".join(f"{p.name} ({p.email})" for p in found.candidates[:10])
            return Reply.text(f"Several of your reports match “{typed.strip()}”: {listed}. Which one?",
                              ephemeral=True)
        report_id = found.person.id if found.person else None
        if report_id is None or report_id not in ids:
            return Reply.text(NOT_FOUND.format(typed=typed.strip()), ephemeral=True)
        view = await person_detail(services, session, report_id, manager_id, heading=None, with_actions=True)
    return Reply(messages=[view], ephemeral=True)


async def manager_view(services: Services, person_id: int) -> Reply:
    """The learner's own page exactly as their manager sees it with `/team <them>`."""
    async with services.database.session() as session:
        me = await session.get(Person, person_id)
        managers = await managers_above(session, me) if me else []
        manager = managers[0] if managers else None
        if manager is None:
            return Reply.text("No manager is set for you in the org chart, so no one sees a summary of you.",
                              ephemeral=True)
        view = await person_detail(services, session, person_id, person_id,
                                   heading=f"What {manager.name} sees about you", with_actions=False)
    return Reply(messages=[view], ephemeral=True)


async def person_detail(services: Services, session: AsyncSession, person_id: int, reader_id: int, *,
                        heading: str | None, with_actions: bool) -> PersonDetail:
    """One person as `reader_id` reads it (their manager, or the person themself), dates in the reader's zone."""
    now = services.clock()
    reader = await session.get(Person, reader_id)
    zone = await reader_zone(session, reader) if reader is not None else "UTC"
    model = await load_model(session)
    names = await competency_names(session)
    standing = (await load_standings(session, [person_id], model, names, now, services.config.mastery_threshold))[0]
    roles = await learning.role_names(session)
    role = roles.get(standing.person.role_id or "", "no role set")
    answers = await groups.recent_answers(session, person_id, now - timedelta(days=RECENT_DAYS))
    feedback = await groups.feedback_given(session, person_id)
    return detail(standing, role, answers, feedback, names, now, zone, heading=heading or standing.person.name,
                  with_actions=with_actions)
