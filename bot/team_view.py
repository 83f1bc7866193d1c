"""The team summary and the one-person view, built from standings (`bot.roster`): heatmap cells, the
biggest gaps, who needs attention and the coaching actions to suggest, grouped by direct report when the
team is large. Pure functions of data already loaded, so the chat, the digest and the CSV agree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from bot.replies import (
    AnswerTally,
    Button,
    Choice,
    Engagement,
    HeatCell,
    MemberLine,
    PersonDetail,
    TeamGroup,
    TeamSummary,
)
from bot.roster import Standing
from bot.team_text import detail_text, last_seen, summary_text
from bot.usecases.answers import FEEDBACK
from store.models import Person
from store.teams import GivenFeedback, RecentAnswer

GROUP_ABOVE = 15
"""Teams larger than this, with managers among the direct reports, are shown grouped by direct report."""
LIST_LIMIT = 150
"""Above this many people the groups show totals only; everyone is in the attached CSV and image."""
MAX_GAPS = 5
MAX_ATTENTION = 8
MAX_ACTIONS = 5
MAX_NUDGES = 2
RATINGS = dict(FEEDBACK)
"""A rating as the learner pressed it on the lesson card."""


@dataclass(frozen=True)
class Org:
    """Who reports to whom inside the team: the manager's direct reports and each member's manager."""

    directs: list[Person]
    manager_of: dict[int, int | None]

    def lead_of(self, person_id: int) -> int:
        """The direct report whose group the person belongs to (themselves, for a direct report or for
        someone with no direct report above them)."""
        lead = self._leads.get(person_id)
        return person_id if lead is None else lead

    @cached_property
    def _leads(self) -> dict[int, int | None]:
        """Every member's direct report (None: none above them), found in one pass: each walk up the chain
        stops at the first direct report or at someone already placed, and places everyone it passed, so
        the whole team costs time in proportion to its size, not size × directs × depth."""
        direct_ids = {p.id for p in self.directs if p.id is not None}
        leads: dict[int, int | None] = {i: i for i in direct_ids}
        for start in self.manager_of:
            path: list[int] = []
            current: int | None = start
            while current is not None and current not in leads and len(path) <= len(self.manager_of):
                path.append(current)
                current = self.manager_of.get(current)
            lead = leads.get(current) if current is not None else None
            leads.update(dict.fromkeys(path, lead))
        return leads


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def columns(standings: list[Standing], names: dict[str, str]) -> list[Choice]:
    """Competencies that anyone in the team has a target for, by name."""
    wanted = {row.competency_id for s in standings for row in s.rows if row.target}
    return [Choice(c, names.get(c, c)) for c in sorted(wanted, key=lambda c: names.get(c, c).lower())]


def member_line(standing: Standing, competencies: list[Choice], names: dict[str, str]) -> MemberLine:
    cells: list[HeatCell | None] = []
    for competency in competencies:
        row = standing.row(competency.value)
        cells.append(HeatCell(row.level, row.target, row.mastery) if row else None)
    focus = [names.get(c, c) for c, t in standing.ctx.targets.items() if t.source == "focus"]
    return MemberLine(
        person_id=standing.id, name=standing.person.name, email=standing.person.email, cells=cells,
        engagement=standing.engagement, quiet=standing.quiet,
        falling=[names.get(c, c) for c in standing.falling], focus=sorted(focus),
    )


def summary(manager: str, standings: list[Standing], org: Org, names: dict[str, str], now: datetime) -> TeamSummary:
    """The whole team, grouped by direct report when it is large, with gaps, attention and actions."""
    competencies = columns(standings, names)
    lines = {s.id: member_line(s, competencies, names) for s in standings}
    leads = {s.id: org.lead_of(s.id) for s in standings}
    grouped = len(standings) > GROUP_ABOVE and any(lead != member for member, lead in leads.items())
    if grouped:
        by_lead: dict[int, list[MemberLine]] = defaultdict(list)
        for member, lead_id in leads.items():
            by_lead[lead_id].append(lines[member])
        groups = []
        for lead in org.directs:
            assert lead.id is not None
            members = sorted(by_lead.get(lead.id, []), key=lambda m: (m.person_id != lead.id, m.name.lower()))
            if members:
                groups.append(_group(lead.name, members, len(competencies)))
    else:
        groups = [_group("", sorted(lines.values(), key=lambda m: m.name.lower()), len(competencies))]
    result = TeamSummary(
        manager=manager, competencies=competencies, groups=groups, grouped=grouped,
        listed=len(standings) <= LIST_LIMIT, gaps=gaps(standings, competencies),
        attention=attention(standings, names, now), actions=actions(standings, competencies), text="", as_of=now,
    )
    if not result.listed:
        result.note = (f"{len(standings)} people are too many to list here one by one: each group shows its "
                       "totals, and the attached CSV has everyone.")
    result.text = summary_text(result, now)
    return result


def _group(lead: str, members: list[MemberLine], width: int) -> TeamGroup:
    below = [sum(1 for m in members if (cell := m.cells[i]) is not None and cell.status == "below")
             for i in range(width)]
    return TeamGroup(lead=lead, members=members, answered_7=sum(m.engagement.answered_7 for m in members),
                     answered_30=sum(m.engagement.answered_30 for m in members), below=below,
                     quiet=sum(m.quiet for m in members))


def gaps(standings: list[Standing], competencies: list[Choice]) -> list[str]:
    """The competencies with the most people below target: "3 of 5 below target in Purchase approvals"."""
    counted = []
    for competency in competencies:
        rows = [r for s in standings if (r := s.row(competency.value)) is not None and r.target]
        below = sum(1 for r in rows if r.level < r.target)
        if below:
            counted.append((below, len(rows), competency.label))
    counted.sort(key=lambda t: (-t[0], -t[0] / t[1], t[2]))
    return [f"{below} of {total} below target in {label}" for below, total, label in counted[:MAX_GAPS]]


def attention(standings: list[Standing], names: dict[str, str], now: datetime) -> list[str]:
    """People who have gone quiet, and people whose mastery is falling (the first MAX_ATTENTION, then how
    many more there are: they are marked in the list)."""
    notes: list[str] = []
    for standing in sorted(standings, key=lambda s: s.person.name.lower()):
        if standing.quiet:
            notes.append(f"{standing.person.name} — {quiet_phrase(standing.engagement, now)}")
        for competency, (before, after) in sorted(standing.falling.items()):
            notes.append(f"{standing.person.name} — mastery falling in {names.get(competency, competency)} "
                         f"({before:.0%} → {after:.0%} over 30 days)")
    if len(notes) > MAX_ATTENTION:
        more = len(notes) - MAX_ATTENTION
        notes = [*notes[:MAX_ATTENTION], f"…and {more} more, marked 💤 (quiet) or 📉 (falling) in the list"]
    return notes


def quiet_phrase(engagement: Engagement, now: datetime) -> str:
    if engagement.last_active is None:
        return "hasn't answered a lesson yet"
    return f"no lesson answered since {last_seen(engagement.last_active, now)}"


def actions(standings: list[Standing], competencies: list[Choice]) -> list[Button]:
    """Nudges for the quiet, then a focus for whoever is furthest below in each falling or gapped competency."""
    buttons = [Button(f"Nudge {first_name(s.person.name)}", "team_nudge", {"p": s.id})
               for s in sorted(standings, key=lambda s: s.person.name.lower()) if s.quiet][:MAX_NUDGES]
    wanted: list[tuple[Standing, str, str]] = []
    for standing in standings:
        for competency in standing.falling:
            label = next((c.label for c in competencies if c.value == competency), competency)
            wanted.append((standing, competency, label))
    for competency in sorted(competencies, key=lambda c: -_below(standings, c.value)):
        furthest = max((s for s in standings if _gap(s, competency.value) > 0),
                       key=lambda s: (_gap(s, competency.value), -s.id), default=None)
        if furthest is not None:
            wanted.append((furthest, competency.value, competency.label))
    seen: set[tuple[int, str]] = set()
    for standing, competency, label in wanted:
        target = standing.ctx.targets.get(competency)
        if (standing.id, competency) in seen or (target is not None and target.source == "focus"):
            continue
        seen.add((standing.id, competency))
        buttons.append(Button(f"Focus {first_name(standing.person.name)} on {label}"[:75], "team_focus",
                              {"p": standing.id, "c": competency}, "primary"))
    return buttons[:MAX_ACTIONS]


def _gap(standing: Standing, competency: str) -> int:
    row = standing.row(competency)
    return max(0, row.target - row.level) if row and row.target else 0


def _below(standings: list[Standing], competency: str) -> int:
    return sum(1 for s in standings if _gap(s, competency) > 0)


def detail(standing: Standing, role: str, answers: list[RecentAnswer], feedback: list[GivenFeedback],
           names: dict[str, str], now: datetime, *, heading: str, with_actions: bool) -> PersonDetail:
    """One person: levels against targets, answers of the last weeks by competency, feedback they gave."""
    tallies: dict[str, AnswerTally] = {}
    for answer in answers:
        tally = tallies.setdefault(answer.competency, AnswerTally(names.get(answer.competency, answer.competency),
                                                                  0, 0, []))
        tally.answered += 1
        tally.correct += bool(answer.correct)
        if answer.lesson_title not in tally.lessons:
            tally.lessons.append(answer.lesson_title)
    buttons: list[Button] = []
    if with_actions:
        if standing.quiet:
            buttons.append(Button(f"Nudge {first_name(standing.person.name)}", "team_nudge", {"p": standing.id}))
        gaps_here = sorted((r for r in standing.rows if r.target > r.level and r.why != "focus"),
                           key=lambda r: (r.level - r.target, r.name))
        buttons += [Button(f"Focus on {r.name}"[:75], "team_focus", {"p": standing.id, "c": r.competency_id},
                           "primary") for r in gaps_here[:3]]
        buttons.append(Button("Back to the team", "team_summary", {}))
    result = PersonDetail(
        person_id=standing.id, name=standing.person.name, email=standing.person.email, role=role,
        rows=standing.rows, engagement=standing.engagement,
        recent=sorted(tallies.values(), key=lambda t: (-t.answered, t.competency)),
        feedback=[f"{RATINGS.get(f.rating, f.rating)} — {f.lesson_title} ({f.created_at:%d %b})" for f in feedback],
        attention=attention([standing], names, now), actions=buttons, text="",
    )
    result.text = detail_text(result, heading, now)
    return result
